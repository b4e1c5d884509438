// Tests of the explicit transport list: what it holds, making a transport
// by name, and the message for a name that is not in it.
#include "nu/net/memory_transport.hpp"
#include "nu/net/transport.hpp"

#include <gtest/gtest.h>

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
  auto transport = make_transport("x", {});
  ASSERT_FALSE(transport);
  EXPECT_EQ(transport.failure().message,
            "unknown transport 'x' (available: memory, tcp; or a path to a "
            "transport plugin .so)");
  EXPECT_EQ(transport.failure().code, std::errc::invalid_argument);
  EXPECT_FALSE(make_transport("", {}));
  EXPECT_FALSE(make_transport("Memory", {}));
}

} // namespace
} // namespace nu::net
