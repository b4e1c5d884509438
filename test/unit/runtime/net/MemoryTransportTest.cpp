// Tests of what is particular to the in-memory transport: addresses are
// names in a hub, and a malformed frame is rejected (and logged) at once.
// What every transport does is in ConformanceTest.cpp.
#include "FrameHelpers.hpp"
#include "nu/net/memory_transport.hpp"
#include "nu/net/testing/inbox.hpp"
#include "nu/wire/frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace nu::net {
namespace {

using conformance::Inbox;
using test::make_frame;

TEST(MemoryTransport, ListenPicksAndChecksAddresses) {
  Inbox inbox;
  auto hub = std::make_shared<MemoryHub>();
  TransportOptions options;
  options.memory_hub = hub;
  auto a = make_memory_transport(options);
  auto b = make_memory_transport(options);
  EXPECT_EQ(*a->listen("", inbox.handlers()), "mem:1");
  EXPECT_EQ(*b->listen("", inbox.handlers()), "mem:2");
  EXPECT_EQ(*a->listen("mem:foo", inbox.handlers()), "mem:foo");
  auto taken = b->listen("mem:foo", inbox.handlers());
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.failure().code, std::errc::address_in_use);
  EXPECT_EQ(taken.failure().message,
            "in-memory address 'mem:foo' is already in use");
  EXPECT_EQ(b->listen("mem:2", {}).failure().code, std::errc::address_in_use);
  auto bad = b->listen("tcp:foo", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.failure().code, std::errc::invalid_argument);
  EXPECT_FALSE(b->listen("mem:", {}));
  // A shut-down transport gives its addresses back.
  a->shutdown();
  EXPECT_TRUE(b->listen("mem:foo", {}));
  EXPECT_EQ(*b->listen("", {}), "mem:3");
}

TEST(MemoryTransport, UnknownAddressIsRefused) {
  Inbox inbox;
  auto transport = make_memory_transport({});
  auto connection = transport->connect("mem:9", inbox.handlers());
  ASSERT_FALSE(connection);
  EXPECT_EQ(connection.failure().code, std::errc::connection_refused);
  EXPECT_EQ(connection.failure().message,
            "no in-memory transport listening at 'mem:9'");
}

// Each frame is checked as it is delivered, so a malformed one closes its
// connection at once (nothing waits for more bytes), with one line on
// stderr naming the peer (the accepting side's name for it) and the fault.
TEST(MemoryTransport, RejectedFramesAreLoggedAtOnce) {
  Inbox inbox;
  auto transport = make_memory_transport({});
  auto address = transport->listen("", inbox.handlers());
  ASSERT_TRUE(address);
  Bytes bad_magic = make_frame(FrameKind::Call, 1);
  bad_magic[0] = std::byte{0x34};
  bad_magic[1] = std::byte{0x12};
  Bytes truncated = make_frame(FrameKind::Call, 2, "abcdef");
  truncated.pop_back();
  std::size_t closes = 0;
  for (const auto &[frame, fault] :
       {std::pair{bad_magic, ": bad magic 0x1234\n"},
        std::pair{truncated, ": truncated frame: 5 of 6 payload bytes\n"}}) {
    auto connection = transport->connect(*address, inbox.handlers());
    ASSERT_TRUE(connection);
    testing::internal::CaptureStderr();
    ASSERT_FALSE((*connection)->send(frame));
    closes += 2; // both ends record into inbox
    bool closed = inbox.wait_closes(closes);
    std::string log = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(closed);
    EXPECT_EQ(log.rfind("nu[net] warning: closing connection mem:~", 0), 0u)
        << log;
    EXPECT_NE(log.find(fault), std::string::npos) << log;
  }
  EXPECT_EQ(inbox.frame_count(), 0u);
  std::size_t rejected = 0;
  for (const auto &close : inbox.closes()) {
    if (close.error != std::errc::bad_message)
      continue; // the sending side's close
    ++rejected;
    EXPECT_EQ(close.connection->peer_address().rfind("mem:~", 0), 0u);
  }
  EXPECT_EQ(rejected, 2u);
}

} // namespace
} // namespace nu::net
