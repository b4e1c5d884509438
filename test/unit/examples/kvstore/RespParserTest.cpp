// The RESP2 request parser: multibulk and inline requests, whole, cut
// anywhere, pipelined; every protocol error and limit, worded as Redis's.
#include "Resp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using kv::RespParser;
using Request = std::vector<std::string>;

struct Parsed {
  std::vector<Request> requests;
  std::string error; ///< empty if none
  std::size_t left = 0;
};

/// Parses \p input fed \p chunk bytes at a time, keeping the unconsumed
/// bytes in a buffer that moves, as a connection does.
Parsed parse_all(std::string_view input, std::size_t chunk = 1 << 30) {
  RespParser parser;
  std::string buffer;
  Parsed out;
  for (std::size_t fed = 0; fed < input.size(); fed += chunk) {
    buffer.append(input.substr(fed, chunk));
    buffer.reserve(buffer.size() * 2 + 64); // moves it, now and then
    while (true) {
      auto status = parser.parse(buffer);
      if (status == RespParser::Status::Incomplete)
        break;
      if (status == RespParser::Status::Error) {
        out.error = parser.error();
        return out;
      }
      out.requests.emplace_back(parser.args().begin(), parser.args().end());
      buffer.erase(0, parser.consumed());
    }
  }
  out.left = buffer.size();
  return out;
}

std::string error_of(std::string_view input) { return parse_all(input).error; }

TEST(RespParser, MultibulkRequest) {
  auto p = parse_all("*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
  EXPECT_EQ(p.requests, (std::vector<Request>{{"GET", "a"}}));
  EXPECT_EQ(p.left, 0u);
  EXPECT_EQ(p.error, "");
}

TEST(RespParser, BulksAreBinarySafe) {
  std::string value("a\r\nb\0c", 6);
  auto p = parse_all("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$6\r\n" + value + "\r\n");
  EXPECT_EQ(p.requests, (std::vector<Request>{{"SET", "", value}}));
}

TEST(RespParser, ARequestCutAnywhereParsesTheSame) {
  std::string input = "*3\r\n$3\r\nSET\r\n$4\r\nkey1\r\n$10\r\n0123456789\r\n"
                      "GET  key1\r\n*1\r\n$4\r\nPING\r\n";
  std::vector<Request> expected = {
      {"SET", "key1", "0123456789"}, {"GET", "key1"}, {"PING"}};
  for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
    auto p = parse_all(input, chunk);
    EXPECT_EQ(p.requests, expected) << "chunks of " << chunk;
    EXPECT_EQ(p.left, 0u);
  }
}

TEST(RespParser, PipelinedRequestsComeOneByOne) {
  std::string input;
  for (int i = 0; i < 100; ++i)
    input += "*2\r\n$4\r\nINCR\r\n$" +
             std::to_string(std::to_string(i).size()) + "\r\n" +
             std::to_string(i) + "\r\n";
  auto p = parse_all(input);
  ASSERT_EQ(p.requests.size(), 100u);
  EXPECT_EQ(p.requests[42], (Request{"INCR", "42"}));
}

TEST(RespParser, IncompleteRequestsWait) {
  for (std::string_view part :
       {"*", "*2", "*2\r", "*2\r\n", "*2\r\n$3", "*2\r\n$3\r\nGE",
        "*2\r\n$3\r\nGET\r", "*2\r\n$3\r\nGET\r\n$1\r\na\r", "PING"}) {
    auto p = parse_all(part);
    EXPECT_TRUE(p.requests.empty()) << part;
    EXPECT_EQ(p.error, "") << part;
    EXPECT_EQ(p.left, part.size()) << part;
  }
}

TEST(RespParser, AnnouncedSizesAllocateNothing) {
  for (std::string_view claim :
       {"*1048576\r\n", "*1\r\n$536870000\r\n", "*1048576\r\n$536870000\r\n",
        "*1048576\r\n$1\r\na\r\n$536870912\r\nabc"}) {
    RespParser parser;
    EXPECT_EQ(parser.parse(claim), RespParser::Status::Incomplete) << claim;
    EXPECT_LT(parser.allocated(), 1024u) << claim;
  }
}

TEST(RespParser, AHugeCountIsAnErrorAndAllocatesNothing) {
  RespParser parser;
  EXPECT_EQ(parser.parse("*2000000000\r\n"), RespParser::Status::Error);
  EXPECT_EQ(parser.error(), "Protocol error: invalid multibulk length");
  EXPECT_LT(parser.allocated(), 1024u);
}

TEST(RespParser, AHugeBulkIsAnError) {
  EXPECT_EQ(error_of("*1\r\n$629145600\r\n"), // 600 MiB
            "Protocol error: invalid bulk length");
}

TEST(RespParser, ABigRequestsArgumentListsAreLetGo) {
  std::string big = "*5000\r\n";
  for (int i = 0; i < 5000; ++i)
    big += "$1\r\nx\r\n";
  RespParser parser;
  ASSERT_EQ(parser.parse(big), RespParser::Status::Complete);
  EXPECT_EQ(parser.args().size(), 5000u);
  ASSERT_EQ(parser.parse("*1\r\n$4\r\nPING\r\n"), RespParser::Status::Complete);
  EXPECT_LT(parser.allocated(), 1024u * 16 * 3);
  std::string quoted = "SET k \"" + std::string(60'000, 'v') + "\"\r\n";
  ASSERT_EQ(parser.parse(quoted), RespParser::Status::Complete);
  EXPECT_EQ(parser.args().at(2).size(), 60'000u);
  ASSERT_EQ(parser.parse("PING\r\n"), RespParser::Status::Complete);
  EXPECT_LT(parser.allocated(), 1024u * 16 * 3);
}

TEST(RespParser, InlineRequests) {
  auto p = parse_all("PING\r\nset  a\tb\n  \r\nget a");
  EXPECT_EQ(p.requests,
            (std::vector<Request>{{"PING"}, {"set", "a", "b"}, {}}));
  EXPECT_EQ(p.left, 5u) << "'get a' waits for its newline";
}

TEST(RespParser, InlineQuotesAreUnescaped) {
  auto p =
      parse_all("SET \"a b\" 'c \\'d\\' \\n' \"\\x41\\n\\t\\\"\" \"\"\r\n");
  EXPECT_EQ(p.requests,
            (std::vector<Request>{{"SET", "a b", "c 'd' \\n", "A\n\t\"", ""}}));
}

TEST(RespParser, EmptyRequestsHaveNoArguments) {
  auto p = parse_all("*0\r\n*-1\r\n\r\n\n");
  EXPECT_EQ(p.requests, (std::vector<Request>{{}, {}, {}, {}}));
}

TEST(RespParser, BadMultibulkLengths) {
  for (std::string_view bad : {"*x\r\n", "*\r\n", "*1x\r\n", "*+1\r\n",
                               "*01\r\n", "*1048577\r\n", "* 1\r\n"})
    EXPECT_EQ(error_of(bad), "Protocol error: invalid multibulk length") << bad;
  EXPECT_EQ(error_of("*1048576\r\n"), "") << "the largest count allowed";
}

TEST(RespParser, BadBulkLengths) {
  EXPECT_EQ(error_of("*1\r\nGET\r\n"), "Protocol error: expected '$', got 'G'");
  for (std::string_view bad : {"*1\r\n$-1\r\n", "*1\r\n$x\r\n", "*1\r\n$\r\n",
                               "*1\r\n$01\r\n", "*1\r\n$536870913\r\n"})
    EXPECT_EQ(error_of(bad), "Protocol error: invalid bulk length") << bad;
  EXPECT_EQ(error_of("*1\r\n$536870912\r\n"), "") << "512 MiB is allowed";
}

TEST(RespParser, TooLongLines) {
  std::string digits(64 * 1024 + 1, '1');
  EXPECT_EQ(error_of("*" + digits),
            "Protocol error: too big mbulk count string");
  EXPECT_EQ(error_of("*1\r\n$" + digits),
            "Protocol error: too big bulk count string");
  std::string line(64 * 1024 + 1, 'a');
  EXPECT_EQ(error_of(line), "Protocol error: too big inline request");
  EXPECT_EQ(error_of(line + "\r\n"), "Protocol error: too big inline request");
  auto longest = parse_all(std::string(64 * 1024, 'a') + "\n");
  EXPECT_EQ(longest.error, "");
  EXPECT_EQ(longest.requests.size(), 1u) << "64 KiB is allowed";
}

TEST(RespParser, UnbalancedQuotes) {
  for (std::string_view bad :
       {"SET \"a b\r\n", "SET 'a\r\n", "SET \"a\"b\r\n", "GET \"\\\"\r\n"})
    EXPECT_EQ(error_of(bad), "Protocol error: unbalanced quotes in request")
        << bad;
}

TEST(RespParser, RequestsBeforeAnErrorStillCount) {
  auto p = parse_all("PING\r\n*1\r\n$4\r\nECHO\r\n*1\r\n!");
  EXPECT_EQ(p.requests, (std::vector<Request>{{"PING"}, {"ECHO"}}));
  EXPECT_EQ(p.error, "");
  p = parse_all("PING\r\n*1\r\n!x\r\n");
  EXPECT_EQ(p.requests, (std::vector<Request>{{"PING"}}));
  EXPECT_EQ(p.error, "Protocol error: expected '$', got '!'");
}

TEST(RespParser, AParserStartsOverAfterAnError) {
  RespParser parser;
  EXPECT_EQ(parser.parse("*1\r\n$x\r\n"), RespParser::Status::Error);
  ASSERT_EQ(parser.parse("*1\r\n$4\r\nPING\r\n"), RespParser::Status::Complete);
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"PING"}));
}

} // namespace
