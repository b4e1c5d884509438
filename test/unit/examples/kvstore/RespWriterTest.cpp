// The RESP2 reply writer: every reply type, byte for byte, appended to
// what the buffer holds.
#include "Resp.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace {

using namespace std::string_literals;

TEST(RespWriter, EveryReplyType) {
  std::string out;
  kv::RespWriter w(out);
  w.simple("OK");
  w.error("ERR bad\r\nthing");
  w.integer(0);
  w.integer(-42);
  w.integer(std::numeric_limits<std::int64_t>::min());
  w.bulk("");
  w.bulk(std::string("a\0\r\n", 4));
  w.null_bulk();
  w.array(2);
  w.null_array();
  EXPECT_EQ(out, "+OK\r\n-ERR bad  thing\r\n:0\r\n:-42\r\n"
                 ":-9223372036854775808\r\n$0\r\n\r\n$4\r\na\0\r\n"
                 "\r\n$-1\r\n*2\r\n*-1\r\n"s);
}

TEST(RespWriter, AppendsToWhatIsThere) {
  std::string out = "+PONG\r\n";
  kv::RespWriter w(out);
  w.bulk("x");
  EXPECT_EQ(out, "+PONG\r\n$1\r\nx\r\n");
  EXPECT_EQ(&w.buffer(), &out);
}

} // namespace
