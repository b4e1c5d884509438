// The cluster handshake, tried as a hostile local process would: a wrong
// secret, no secret, a replayed handshake, frames before it, silence.
#include "FrameHelpers.hpp"
#include "Handshake.hpp"
#include "nu/net/authenticated.hpp"
#include "nu/net/testing/inbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace nu::net {
namespace {

using namespace std::chrono_literals;
using conformance::Inbox;

std::shared_ptr<const Secret> secret(const std::string &text) {
  return std::make_shared<const Secret>(text);
}

const auto kSecret = secret("the right cluster secret, 32 b..");

/// A tcp transport, with the handshake in front when \p key is given.
std::unique_ptr<Transport> tcp(std::shared_ptr<const Secret> key = kSecret,
                               PeerRole role = PeerRole::node,
                               std::chrono::milliseconds timeout = 5s) {
  auto plain = make_transport("tcp", {});
  EXPECT_TRUE(plain);
  if (!key)
    return std::move(*plain);
  return make_authenticated_transport(std::move(*plain), std::move(key), role,
                                      AuthOptions{timeout});
}

/// An authenticated server that echoes what it gets (unless not to).
struct Server {
  explicit Server(std::chrono::milliseconds timeout = 5s,
                  PeerRole role = PeerRole::controller, bool echo = true)
      : transport(tcp(kSecret, role, timeout)) {
    if (echo)
      inbox.echo();
    auto listening = transport->listen("127.0.0.1:0", inbox.handlers());
    EXPECT_TRUE(listening);
    address = listening ? *listening : "";
  }
  ~Server() { transport->shutdown(); }

  Inbox inbox;
  std::unique_ptr<Transport> transport;
  std::string address;
};

/// The next frame \p inbox got, or an empty buffer after a while.
Bytes frame_number(Inbox &inbox, std::size_t n) {
  if (!inbox.wait_frames(n + 1))
    return {};
  return inbox.frames()[n].bytes;
}

TEST(Authenticated, ThePeersProveTheSecretAndTheirRolesThenFramesFlow) {
  Server server;
  Inbox client_inbox;
  auto client = tcp(kSecret, PeerRole::tool);
  auto conn = client->connect(server.address, client_inbox.handlers());
  ASSERT_TRUE(conn);
  // Sent before the handshake ended: queued, then delivered in order.
  for (std::uint64_t id = 1; id <= 3; ++id)
    ASSERT_FALSE((*conn)->send(test::make_frame(FrameKind::Call, id)));
  ASSERT_TRUE(client_inbox.wait_frames(3));
  for (std::uint64_t id = 1; id <= 3; ++id)
    EXPECT_EQ(test::request_id_of(client_inbox.frames()[id - 1].bytes), id);
  EXPECT_EQ((*conn)->peer_role(), PeerRole::controller);
  EXPECT_EQ(server.inbox.frames()[0].connection->peer_role(), PeerRole::tool);
  client->shutdown();
}

TEST(Authenticated, AWrongSecretIsRefusedBothWaysWithOneLogLine) {
  Server server;
  ::testing::internal::CaptureStderr();
  Inbox client_inbox;
  auto client = tcp(secret("another secret, just as long...."));
  auto conn = client->connect(server.address, client_inbox.handlers());
  ASSERT_TRUE(conn);
  // Queued, or refused already if the handshake failed first.
  auto sent = (*conn)->send(test::make_frame(FrameKind::Call, 7));
  EXPECT_TRUE(!sent || sent == AuthErrc::refused) << sent.message();
  ASSERT_TRUE(client_inbox.wait_closes(1));
  EXPECT_EQ(client_inbox.closes()[0].error, AuthErrc::refused);
  EXPECT_EQ(client_inbox.frame_count(), 0u);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(server.inbox.frame_count(), 0u) << "nothing reached the server";
  EXPECT_EQ(server.inbox.close_count(), 0u) << "nor did the connection";
  client->shutdown();
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("does not know the cluster secret"), std::string::npos)
      << log;
}

TEST(Authenticated, APeerWithoutTheSecretGetsNothingThrough) {
  Server server;
  Inbox raw_inbox;
  auto raw = tcp(nullptr);
  auto conn = raw->connect(server.address, raw_inbox.handlers());
  ASSERT_TRUE(conn);
  // A call frame straight away, as the attack did: closed, not delivered.
  ASSERT_FALSE((*conn)->send(test::make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(raw_inbox.wait_closes(1));
  EXPECT_EQ(raw_inbox.frame_count(), 0u);
  EXPECT_EQ(server.inbox.frame_count(), 0u);
  raw->shutdown();
}

TEST(Authenticated, AServerWithoutTheSecretTimesTheClientOut) {
  Inbox plain_inbox;
  auto plain = tcp(nullptr);
  auto address = plain->listen("127.0.0.1:0", plain_inbox.handlers());
  ASSERT_TRUE(address);
  Inbox client_inbox;
  auto client = tcp(kSecret, PeerRole::node, 200ms);
  auto conn = client->connect(*address, client_inbox.handlers());
  ASSERT_TRUE(conn);
  ASSERT_FALSE((*conn)->send(test::make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(client_inbox.wait_closes(1));
  EXPECT_EQ(client_inbox.closes()[0].error, AuthErrc::timed_out);
  // The plain server saw the Hello only, never the queued call.
  ASSERT_TRUE(plain_inbox.wait_frames(1));
  EXPECT_EQ(plain_inbox.frame_count(), 1u);
  EXPECT_TRUE(handshake::parse_hello(plain_inbox.frames()[0].bytes));
  client->shutdown();
  plain->shutdown();
}

TEST(Authenticated, ASilentPeerIsClosedAfterTheTimeout) {
  Server server(200ms);
  Inbox raw_inbox;
  auto raw = tcp(nullptr);
  auto conn = raw->connect(server.address, raw_inbox.handlers());
  ASSERT_TRUE(conn);
  ASSERT_FALSE((*conn)->send(handshake::frame(
      handshake::Hello{PeerRole::node, handshake::fresh_nonce()})));
  ASSERT_TRUE(raw_inbox.wait_closes(1)); // after the challenge, silence
  EXPECT_EQ(raw_inbox.frame_count(), 1u);
  raw->shutdown();
}

// A recorded handshake replayed on a new connection: the server's fresh
// nonce makes the recorded proof worthless.
TEST(Authenticated, AReplayedHandshakeIsRefused) {
  Server server;
  handshake::Hello hello{PeerRole::node, handshake::fresh_nonce()};
  Inbox first_inbox, replay_inbox;
  auto raw = tcp(nullptr);

  // A genuine handshake, spoken by hand (the recording).
  auto first = raw->connect(server.address, first_inbox.handlers());
  ASSERT_TRUE(first);
  ASSERT_FALSE((*first)->send(handshake::frame(hello)));
  auto challenge = handshake::parse_challenge(frame_number(first_inbox, 0));
  ASSERT_TRUE(challenge);
  handshake::Proof proof{handshake::client_mac(*kSecret, hello, *challenge)};
  ASSERT_FALSE((*first)->send(handshake::frame(proof)));
  ASSERT_FALSE((*first)->send(test::make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(first_inbox.wait_frames(2)) << "the genuine one is answered";

  // The replay: same Hello, same proof, on a new connection.
  auto replay = raw->connect(server.address, replay_inbox.handlers());
  ASSERT_TRUE(replay);
  ASSERT_FALSE((*replay)->send(handshake::frame(hello)));
  ASSERT_TRUE(replay_inbox.wait_frames(1));
  ASSERT_FALSE((*replay)->send(handshake::frame(proof)));
  (void)(*replay)->send(test::make_frame(FrameKind::Call, 2)); // may be shut
  ASSERT_TRUE(replay_inbox.wait_closes(1));
  EXPECT_EQ(replay_inbox.frame_count(), 1u) << "only the challenge";
  EXPECT_EQ(server.inbox.frame_count(), 1u) << "only the genuine call";
  raw->shutdown();
}

TEST(Authenticated, MalformedHandshakeFramesAreRefused) {
  Server server;
  auto raw = tcp(nullptr);
  handshake::Hello hello{PeerRole::node, handshake::fresh_nonce()};
  Bytes bad_version = handshake::frame(hello);
  bad_version[kHeaderSize] = std::byte{9};
  Bytes bad_role = handshake::frame(hello);
  bad_role[kHeaderSize + 1] = std::byte{0};
  Bytes too_long = handshake::frame(hello);
  too_long.push_back(std::byte{0});
  FrameHeader header = *parse_header(too_long);
  header.payload_size += 1;
  finish_frame(too_long, header);
  for (const Bytes &frame : {bad_version, bad_role, too_long,
                             test::make_frame(FrameKind::Hello, 3)}) {
    Inbox inbox;
    auto conn = raw->connect(server.address, inbox.handlers());
    ASSERT_TRUE(conn);
    ASSERT_FALSE((*conn)->send(frame));
    EXPECT_TRUE(inbox.wait_closes(1));
    EXPECT_EQ(inbox.frame_count(), 0u);
  }
  EXPECT_EQ(server.inbox.frame_count(), 0u);
  raw->shutdown();
}

TEST(Authenticated, CloseRightAfterSendingStillDeliversWhatWasSent) {
  Server server(5s, PeerRole::controller, /*echo=*/false);
  Inbox client_inbox;
  auto client = tcp();
  auto conn = client->connect(server.address, client_inbox.handlers());
  ASSERT_TRUE(conn);
  ASSERT_FALSE((*conn)->send(test::make_frame(FrameKind::Release, 5)));
  (*conn)->close();
  EXPECT_EQ((*conn)->send(test::make_frame(FrameKind::Release, 6)),
            std::errc::not_connected);
  ASSERT_TRUE(server.inbox.wait_frames(1));
  EXPECT_EQ(test::request_id_of(server.inbox.frames()[0].bytes), 5u);
  ASSERT_TRUE(client_inbox.wait_closes(1));
  client->shutdown();
}

} // namespace
} // namespace nu::net
