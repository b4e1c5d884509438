// Tests of the transport plugin loader: a plugin carrying frames, the
// library's lifetime, and the message for each way loading fails.
#include "nu/net/plugin.hpp"
#include "nu/net/transport.hpp"
#include "nu/transport_plugin.h"
#include "nu/wire/frame.hpp"

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace nu::net {
using namespace nu::wire;
namespace {

using namespace std::chrono_literals;
using ConnectionPtr = std::shared_ptr<Connection>;

const std::string kLoopback = NU_TEST_PLUGIN_LOOPBACK;

// Whether the library at \p path is loaded in this process now.
bool is_loaded(const std::string &path) {
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle)
    dlclose(handle);
  return handle != nullptr;
}

Bytes make_frame(std::uint64_t request_id) {
  Bytes frame = start_frame();
  FrameHeader header;
  header.kind = FrameKind::Call;
  header.request_id = request_id;
  finish_frame(frame, header);
  return frame;
}

// The frames a side received, and on which connection.
struct Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<ConnectionPtr, Bytes>> frames;

  Handlers handlers() {
    Handlers h;
    h.on_frame = [this](const ConnectionPtr &connection, Bytes frame) {
      std::lock_guard lock(mutex);
      frames.emplace_back(connection, std::move(frame));
      changed.notify_all();
    };
    h.on_close = [](const ConnectionPtr &, std::error_code) {};
    return h;
  }
  bool wait_frames(std::size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 60s, [&] { return frames.size() >= n; });
  }
};

std::uint64_t request_id_of(const Bytes &frame) {
  auto view = parse_frame(frame);
  return view ? view->header.request_id : ~0ull;
}

std::string load_error(const std::string &name) {
  auto transport = make_transport(name, {});
  EXPECT_FALSE(transport);
  return transport ? "" : transport.failure().message;
}

TEST(Plugin, NamesWithASlashOrEndingInSoArePaths) {
  EXPECT_TRUE(is_plugin_path("./x"));
  EXPECT_TRUE(is_plugin_path("/opt/nu/libshm.so"));
  EXPECT_TRUE(is_plugin_path("libshm.so"));
  EXPECT_FALSE(is_plugin_path("memory"));
  EXPECT_FALSE(is_plugin_path("libshm.so.1"));
  EXPECT_FALSE(is_plugin_path(""));
}

TEST(Plugin, LoadedTransportCarriesFramesBothWays) {
  auto transport = make_transport(kLoopback, {});
  ASSERT_TRUE(transport) << transport.failure().message;
  EXPECT_EQ((*transport)->name(), "loopback-test");
  Inbox server, client;
  auto address = (*transport)->listen("", server.handlers());
  ASSERT_TRUE(address) << address.failure().message;
  auto connection = (*transport)->connect(*address, client.handlers());
  ASSERT_TRUE(connection) << connection.failure().message;

  ASSERT_FALSE((*connection)->send(make_frame(7)));
  ASSERT_TRUE(server.wait_frames(1));
  EXPECT_EQ(request_id_of(server.frames[0].second), 7u);
  ASSERT_FALSE(server.frames[0].first->send(make_frame(8)));
  ASSERT_TRUE(client.wait_frames(1));
  EXPECT_EQ(request_id_of(client.frames[0].second), 8u);
  // Handlers see the very connection connect() returned.
  EXPECT_EQ(client.frames[0].first, *connection);
  (*transport)->shutdown();
}

TEST(Plugin, LibraryStaysLoadedWhileTheTransportLives) {
  ASSERT_FALSE(is_loaded(kLoopback));
  auto transport = make_transport(kLoopback, {});
  ASSERT_TRUE(transport) << transport.failure().message;
  EXPECT_TRUE(is_loaded(kLoopback));
  auto second = make_transport(kLoopback, {});
  ASSERT_TRUE(second) << second.failure().message;
  transport->reset();
  EXPECT_TRUE(is_loaded(kLoopback)) << "the second transport still uses it";
  second->reset();
  EXPECT_FALSE(is_loaded(kLoopback));
}

TEST(Plugin, ConnectionsKeepTheLibraryLoaded) {
  Inbox server, client;
  ConnectionPtr connection;
  {
    auto transport = make_transport(kLoopback, {});
    ASSERT_TRUE(transport) << transport.failure().message;
    auto address = (*transport)->listen("", server.handlers());
    ASSERT_TRUE(address) << address.failure().message;
    auto connected = (*transport)->connect(*address, client.handlers());
    ASSERT_TRUE(connected) << connected.failure().message;
    connection = *connected;
    ASSERT_FALSE(connection->send(make_frame(1)));
    ASSERT_TRUE(server.wait_frames(1));
  }
  EXPECT_TRUE(is_loaded(kLoopback));
  EXPECT_TRUE(connection->send(make_frame(2))) << "the transport is gone";
  std::lock_guard lock(server.mutex);
  server.frames.clear();
  EXPECT_TRUE(is_loaded(kLoopback));
  connection.reset();
  EXPECT_FALSE(is_loaded(kLoopback));
}

TEST(Plugin, MissingFileIsReported) {
  auto transport = make_transport("/nonexistent/libnope.so", {});
  ASSERT_FALSE(transport);
  EXPECT_EQ(transport.failure().code, std::errc::no_such_file_or_directory);
  EXPECT_EQ(transport.failure().message.rfind(
                "cannot load transport plugin '/nonexistent/libnope.so': ", 0),
            0u)
      << transport.failure().message;
  EXPECT_NE(transport.failure().message.find("No such file"),
            std::string::npos);
}

TEST(Plugin, FileThatIsNoSharedObjectIsReported) {
  auto path = std::filesystem::temp_directory_path() /
              ("nu-plugin-test-" + std::to_string(::getpid()) + ".so");
  std::ofstream(path) << "not an ELF file\n";
  auto transport = make_transport(path.string(), {});
  std::filesystem::remove(path);
  ASSERT_FALSE(transport);
  EXPECT_EQ(transport.failure().code, std::errc::invalid_argument);
  EXPECT_EQ(transport.failure().message.rfind(
                "cannot load transport plugin '" + path.string() + "': ", 0),
            0u)
      << transport.failure().message;
}

TEST(Plugin, LibraryWithoutTheEntryPointIsNotAPlugin) {
  const std::string path = NU_TEST_NOT_A_PLUGIN;
  EXPECT_EQ(load_error(path), "'" + path +
                                  "' is not a nu transport plugin: no symbol "
                                  "nu_transport_plugin_v1");
  EXPECT_FALSE(is_loaded(path));
}

TEST(Plugin, OtherPluginAbiIsRefused) {
  const std::string path = NU_TEST_PLUGIN_BAD_ABI;
  EXPECT_EQ(load_error(path), "'" + path +
                                  "' was built for plugin ABI 2, this "
                                  "runtime speaks 1");
  EXPECT_FALSE(is_loaded(path));
}

TEST(Plugin, OtherNuVersionIsRefused) {
  const std::string path = NU_TEST_PLUGIN_BAD_VERSION;
  EXPECT_EQ(load_error(path), "'" + path +
                                  "' was built for nu 0.0.0-other, this "
                                  "runtime is nu " NU_VERSION_STRING);
}

TEST(Plugin, CreateReturningNullIsReported) {
  const std::string path = NU_TEST_PLUGIN_NULL_CREATE;
  EXPECT_EQ(load_error(path), "transport plugin 'broken-test' ('" + path +
                                  "') failed to create a transport");
  EXPECT_FALSE(is_loaded(path));
}

TEST(Plugin, FactoryThrowingIsReportedAsCreateFailing) {
  TransportOptions options;
  options.io_threads = 0; // the loopback plugin's factory throws
  auto transport = make_transport(kLoopback, options);
  ASSERT_FALSE(transport);
  EXPECT_EQ(transport.failure().message, "transport plugin 'loopback-test' ('" +
                                             kLoopback +
                                             "') failed to create a transport");
  EXPECT_FALSE(is_loaded(kLoopback));
}

TEST(Plugin, UnknownNameMentionsPlugins) {
  auto message = load_error("shm");
  EXPECT_EQ(message.rfind("unknown transport 'shm' (available: memory", 0), 0u)
      << message;
  EXPECT_NE(message.find("path of a transport plugin .so"), std::string::npos)
      << message;
}

} // namespace
} // namespace nu::net
