// nu-kvstore's flags: defaults, both spellings, ranges, runtime flags
// skipped, and a message for every bad one.
#include "Options.hpp"

#include <gtest/gtest.h>

namespace {

std::optional<kv::Options> parse(std::vector<std::string> args,
                                 std::string *error = nullptr) {
  args.insert(args.begin(), "nu-kvstore");
  std::string message;
  auto options = kv::parse_options(args, message);
  if (error)
    *error = message;
  return options;
}

std::string error_of(std::vector<std::string> args) {
  std::string error;
  EXPECT_EQ(parse(std::move(args), &error), std::nullopt);
  return error;
}

TEST(Options, Defaults) {
  auto o = parse({});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->port, 6379);
  EXPECT_FALSE(o->port_given);
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->shards, 64u);
  EXPECT_EQ(o->limits.max_clients, 10000u);
  EXPECT_EQ(o->limits.max_query_buffer, 64u << 20);
  EXPECT_EQ(o->limits.partial_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(o->requirepass, "");
  EXPECT_FALSE(o->help);
}

TEST(Options, ClientLimits) {
  auto o = parse({"--max-clients", "3", "--max-query-buffer=2mb",
                  "--partial-timeout-ms", "0"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->limits.max_clients, 3u);
  EXPECT_EQ(o->limits.max_query_buffer, 2u << 20);
  EXPECT_EQ(o->limits.partial_timeout, std::chrono::milliseconds(0));
  o = parse({"--max-query-buffer", "1073741824"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->limits.max_query_buffer, 1u << 30);
}

TEST(Options, BothSpellings) {
  auto o = parse({"--port", "0", "--host=0.0.0.0", "--shards=16", "--help"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->port, 0);
  EXPECT_TRUE(o->port_given);
  EXPECT_EQ(o->host, "0.0.0.0");
  EXPECT_EQ(o->shards, 16u);
  EXPECT_TRUE(o->help);
  o = parse({"--requirepass", "s3cret"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->requirepass, "s3cret");
  o = parse({"--requirepass="});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->requirepass, "");
}

TEST(Options, RuntimeFlagsAreSkipped) {
  auto o = parse({"--nu-join", "127.0.0.1:1", "--nu-chaos-migrate-ms=20",
                  "--nu-help", "--port", "7000"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->port, 7000);
}

TEST(Options, BadFlagsSayWhy) {
  EXPECT_EQ(error_of({"--port", "x"}),
            "--port expects an integer in [0, 65535], got 'x'");
  EXPECT_EQ(error_of({"--port=65536"}),
            "--port expects an integer in [0, 65535], got '65536'");
  EXPECT_EQ(error_of({"--shards", "0"}),
            "--shards expects an integer in [1, 65536], got '0'");
  EXPECT_EQ(error_of({"--host="}), "--host expects a host name or address");
  EXPECT_EQ(error_of({"--max-clients=0"}),
            "--max-clients expects an integer in [1, 1000000], got '0'");
  EXPECT_EQ(error_of({"--partial-timeout-ms", "-1"}),
            "--partial-timeout-ms expects an integer in [0, 86400000], got "
            "'-1'");
  for (std::string size : {"1000", "1mbx", "2000gb", ""})
    EXPECT_EQ(error_of({"--max-query-buffer=" + size}),
              "--max-query-buffer expects a size in [1mb, 1024gb] (bytes, or "
              "with k, kb, m, mb, g or gb), got '" +
                  size + "'");
  EXPECT_EQ(error_of({"--port"}), "--port needs a value");
  EXPECT_EQ(error_of({"--verbose"}),
            "unknown argument '--verbose' (see --help)");
  EXPECT_EQ(error_of({"6379"}), "unknown argument '6379' (see --help)");
}

TEST(Options, UsageNamesEveryFlag) {
  std::string text = kv::usage("nu-kvstore");
  for (const char *flag :
       {"--port", "--host", "--shards", "--max-clients", "--max-query-buffer",
        "--partial-timeout-ms", "--requirepass", "--help"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
}

} // namespace
