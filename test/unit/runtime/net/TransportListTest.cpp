// Tests of the explicit transport list: what it holds, making a transport
// by name (from the list or a plugin named after it), and the message for a
// name that is neither.
#include "nu/net/memory_transport.hpp"
#include "nu/net/transport.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

namespace nu::net {
namespace {

TEST(TransportList, ListsTheMemoryTransport) {
  auto list = transports();
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list[0].name, "memory");
  std::set<std::string_view> names;
  for (const auto &factory : list) {
    EXPECT_NE(factory.create, nullptr);
    EXPECT_TRUE(names.insert(factory.name).second) << "duplicate name";
  }
}

TEST(TransportList, MakesATransportByName) {
  auto transport = make_transport("memory", {});
  ASSERT_TRUE(transport) << transport.failure().message;
  ASSERT_NE(*transport, nullptr);
  EXPECT_EQ((*transport)->name(), "memory");
  auto address = (*transport)->listen("", {});
  ASSERT_TRUE(address) << address.failure().message;
  EXPECT_EQ(*address, "mem:1");
}

TEST(TransportList, TransportsShareTheHubTheyAreGiven) {
  TransportOptions options;
  options.memory_hub = std::make_shared<MemoryHub>();
  auto a = make_transport("memory", options);
  auto b = make_transport("memory", options);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE((*a)->listen("mem:a", {}));
  EXPECT_TRUE((*b)->connect("mem:a", {}));
  auto other = make_transport("memory", {}); // its own private hub
  ASSERT_TRUE(other);
  EXPECT_FALSE((*other)->connect("mem:a", {}));
}

TEST(TransportList, UnknownNameListsTheAvailableOnes) {
  ::unsetenv("NU_TRANSPORT_PATH");
  auto transport = make_transport("x", {});
  ASSERT_FALSE(transport);
  const std::string message = transport.failure().message;
  EXPECT_EQ(message.rfind("unknown transport 'x' (available: memory, tcp, a "
                          "plugin libnu-transport-<name>.so in ",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find(", or the path of a transport plugin .so)"),
            std::string::npos)
      << message;
  EXPECT_EQ(transport.failure().code, std::errc::invalid_argument);
  EXPECT_FALSE(make_transport("", {}));
  EXPECT_FALSE(make_transport("Memory", {}));
}

// A plugin named libnu-transport-<name>.so in NU_TRANSPORT_PATH is the
// transport <name>; names that could be paths or other files are not.
TEST(TransportList, FindsAPluginByItsName) {
  auto dir = std::filesystem::temp_directory_path() /
             ("nu-transports-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(NU_TEST_PLUGIN_LOOPBACK,
                             dir / "libnu-transport-loop.so",
                             std::filesystem::copy_options::overwrite_existing);
  ::setenv("NU_TRANSPORT_PATH", ("/nonexistent:" + dir.string()).c_str(), 1);
  auto transport = make_transport("loop", {});
  ASSERT_TRUE(transport) << transport.failure().message;
  EXPECT_EQ((*transport)->name(), "loopback-test");
  transport->reset();
  EXPECT_FALSE(make_transport("Loop", {}));    // not a transport name
  EXPECT_FALSE(make_transport("loop.x", {}));  // nor this
  EXPECT_FALSE(make_transport("missing", {})); // no such file
  auto refused = make_transport("missing", {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.failure().message.find(dir.string()), std::string::npos)
      << refused.failure().message; // says where it looked
  ::unsetenv("NU_TRANSPORT_PATH");
  std::filesystem::remove_all(dir);
}

} // namespace
} // namespace nu::net
