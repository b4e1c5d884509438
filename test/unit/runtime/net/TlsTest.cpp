// TLS on the tcp transport: which files load_tls refuses and why, peers
// refused for a certificate another CA signed or for speaking plain TCP,
// and frames that cross the wire encrypted.
#include "nu/net/tls.hpp"
#include "FrameHelpers.hpp"
#include "nu/net/tcp_transport.hpp"
#include "nu/net/testing/inbox.hpp"

#include <gtest/gtest.h>

#include <asio.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>

namespace nu::net {
namespace {

using namespace std::chrono_literals;
using conformance::Inbox;
using test::make_frame;
using test::payload_of;
namespace fs = std::filesystem;

const std::string kCerts = NU_TEST_CERTS; // made by scripts/make-certs.sh

/// \p name's files, signed by the test CA (or, in "rogue/", another one).
TlsFiles files(const std::string &name) {
  return {kCerts + "/" + name + ".pem", kCerts + "/" + name + ".key",
          kCerts + "/" + (name.starts_with("rogue/") ? "rogue/" : "") +
              "ca.pem"};
}

std::shared_ptr<const TlsConfig> load(const std::string &name) {
  auto tls = load_tls(files(name));
  EXPECT_TRUE(tls) << tls.failure().message;
  return tls ? *tls : nullptr;
}

std::unique_ptr<Transport> tcp(std::shared_ptr<const TlsConfig> tls) {
  TransportOptions options;
  options.tls = std::move(tls);
  auto made = make_transport("tcp", options);
  EXPECT_TRUE(made) << made.failure().message;
  return made ? std::move(*made) : nullptr;
}

/// The failure message of loading \p tls (empty if it loaded).
std::string refusal(const TlsFiles &tls) {
  auto loaded = load_tls(tls);
  return loaded ? "" : loaded.failure().message;
}

/// Copies \p from to a fresh file of \p mode and returns its path.
std::string copy(const std::string &from, const std::string &name,
                 mode_t mode) {
  auto dir =
      fs::temp_directory_path() / ("nu-tls-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto to = (dir / name).string();
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  EXPECT_EQ(::chmod(to.c_str(), mode), 0);
  return to;
}

TEST(Tls, LoadRefusesWhatCannotWorkAndSaysWhy) {
  EXPECT_EQ(*load_tls({}), nullptr); // no files: TLS off
  TlsFiles good = files("node");
  TlsFiles no_key = good;
  no_key.key.clear();
  EXPECT_NE(refusal(no_key).find("the key file is not given"),
            std::string::npos);
  TlsFiles missing = good;
  missing.cert = kCerts + "/nonexistent.pem";
  EXPECT_NE(refusal(missing).find("the TLS certificate file " + missing.cert),
            std::string::npos)
      << refusal(missing);
  TlsFiles open_key = good;
  open_key.key = copy(good.key, "open.key", 0644);
  EXPECT_NE(refusal(open_key).find("chmod 600 " + open_key.key),
            std::string::npos)
      << refusal(open_key);
  TlsFiles mismatched = good;
  mismatched.key = files("other").key;
  EXPECT_NE(refusal(mismatched).find("the TLS key file " + mismatched.key),
            std::string::npos)
      << refusal(mismatched);
  EXPECT_NE(refusal(mismatched).find("mismatch"), std::string::npos)
      << refusal(mismatched);
  TlsFiles garbage_ca = good;
  garbage_ca.ca = copy(good.key, "garbage-ca.pem", 0600); // a key, not a CA
  EXPECT_NE(refusal(garbage_ca).find("the TLS CA file " + garbage_ca.ca),
            std::string::npos)
      << refusal(garbage_ca);
  EXPECT_EQ(refusal(good), "");
}

TEST(Tls, OnlyTheTcpTransportTakesIt) {
  TransportOptions options;
  options.tls = load("node");
  auto memory = make_transport("memory", options);
  ASSERT_FALSE(memory);
  EXPECT_EQ(memory.failure().message,
            "TLS needs the tcp transport, not 'memory'");
}

TEST(Tls, FramesCrossAndComeBack) {
  Inbox server_inbox, client_inbox;
  server_inbox.echo();
  auto server = tcp(load("node"));
  auto client = tcp(load("other"));
  auto address = server->listen("127.0.0.1:0", server_inbox.handlers());
  ASSERT_TRUE(address);
  auto connection = client->connect(*address, client_inbox.handlers());
  ASSERT_TRUE(connection);
  std::string big(3u << 20, 'b'); // several TLS records, a big-frame read
  for (std::string payload : {"first", "second", big.c_str()})
    ASSERT_FALSE((*connection)->send(make_frame(FrameKind::Call, 1, payload)));
  ASSERT_TRUE(client_inbox.wait_frames(3));
  EXPECT_EQ(payload_of(client_inbox.frames()[1].bytes), "second");
  EXPECT_EQ(payload_of(client_inbox.frames()[2].bytes), big);
}

/// Both sides are closed and no frame arrives at \p server_inbox.
void expect_refused(Inbox &server_inbox, Inbox &client_inbox, Transport &client,
                    const std::string &address) {
  auto connection = client.connect(address, client_inbox.handlers());
  ASSERT_TRUE(connection);
  (void)(*connection)->send(make_frame(FrameKind::Call, 7, "let me in"));
  ASSERT_TRUE(client_inbox.wait_closes(1));
  EXPECT_TRUE(client_inbox.closes()[0].error);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server_inbox.frame_count(), 0u);
}

TEST(Tls, APeerWithACertificateOfAnotherCaIsRefused) {
  for (bool rogue_server : {false, true}) {
    Inbox server_inbox, client_inbox;
    auto server = tcp(load(rogue_server ? "rogue/node" : "node"));
    auto client = tcp(load(rogue_server ? "other" : "rogue/node"));
    auto address = server->listen("127.0.0.1:0", server_inbox.handlers());
    ASSERT_TRUE(address);
    expect_refused(server_inbox, client_inbox, *client, *address);
  }
}

// A peer that connects and never finishes the TLS handshake holds its
// connection no longer than the partial-frame timeout.
TEST(Tls, AHandshakeThatNeverEndsIsClosed) {
  Inbox server_inbox;
  TransportOptions options;
  options.tls = load("node");
  TcpOptions tcp;
  tcp.partial_frame_timeout = 300ms;
  auto server = make_tcp_transport(options, tcp);
  auto address = server->listen("127.0.0.1:0", server_inbox.handlers());
  ASSERT_TRUE(address);
  asio::io_context io;
  asio::ip::tcp::socket silent(io);
  auto port = std::stoi(address->substr(address->rfind(':') + 1));
  silent.connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)});
  timeval wait{5, 0}; // a read that is never answered fails after 5 s
  ::setsockopt(silent.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &wait,
               sizeof wait);
  auto start = std::chrono::steady_clock::now();
  char byte;
  std::error_code error;
  silent.read_some(asio::buffer(&byte, 1), error); // blocks until closed
  EXPECT_TRUE(error == asio::error::eof ||
              error == asio::error::connection_reset)
      << error.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(server_inbox.frame_count(), 0u);
}

TEST(Tls, PlainTcpAndTlsDoNotMix) {
  for (bool tls_server : {true, false}) {
    Inbox server_inbox, client_inbox;
    auto server = tcp(tls_server ? load("node") : nullptr);
    auto client = tcp(tls_server ? nullptr : load("node"));
    auto address = server->listen("127.0.0.1:0", server_inbox.handlers());
    ASSERT_TRUE(address);
    expect_refused(server_inbox, client_inbox, *client, *address);
  }
}

/// Forwards one connection from its own port to \p target, keeping a copy
/// of every byte that passes in either direction.
class Tap {
public:
  explicit Tap(const std::string &target)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), in_(io_),
        out_(io_) {
    auto port = std::stoi(target.substr(target.rfind(':') + 1));
    out_.connect({asio::ip::make_address("127.0.0.1"),
                  static_cast<std::uint16_t>(port)});
    acceptor_.async_accept(in_, [this](std::error_code error) {
      if (!error) {
        pump(in_, out_, a_);
        pump(out_, in_, b_);
      }
    });
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Tap() { finish(); }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  /// Stops forwarding; everything that passed.
  std::string finish() {
    io_.stop();
    if (thread_.joinable())
      thread_.join();
    return seen_;
  }

private:
  using Buffer = std::array<char, 65536>;
  void pump(asio::ip::tcp::socket &from, asio::ip::tcp::socket &to,
            Buffer &buffer) {
    from.async_read_some(
        asio::buffer(buffer), [&](std::error_code error, std::size_t n) {
          if (error)
            return to.close();
          seen_.append(buffer.data(), n);
          asio::write(to, asio::buffer(buffer.data(), n), error);
          pump(from, to, buffer);
        });
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::socket in_, out_;
  Buffer a_{}, b_{};
  std::string seen_;
  std::thread thread_;
};

TEST(Tls, WhatCrossesTheWireIsNotTheFrame) {
  for (bool tls : {false, true}) { // plain TCP shows the tap sees frames
    Inbox server_inbox, client_inbox;
    server_inbox.echo();
    auto server = tcp(tls ? load("node") : nullptr);
    auto client = tcp(tls ? load("other") : nullptr);
    auto address = server->listen("127.0.0.1:0", server_inbox.handlers());
    ASSERT_TRUE(address);
    std::string seen;
    {
      Tap tap(*address);
      auto connection = client->connect(tap.address(), client_inbox.handlers());
      ASSERT_TRUE(connection);
      std::string marker = "a payload nobody on the path may read";
      ASSERT_FALSE((*connection)->send(make_frame(FrameKind::Call, 1, marker)));
      ASSERT_TRUE(client_inbox.wait_frames(1));
      (*connection)->close();
      ASSERT_TRUE(server_inbox.wait_closes(1));
      seen = tap.finish();
      EXPECT_EQ(seen.find(marker) != std::string::npos, !tls) << tls;
    }
    EXPECT_EQ(!seen.empty() && seen[0] == '\x16', tls); // a TLS handshake
  }
}

} // namespace
} // namespace nu::net
