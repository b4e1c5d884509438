// SET's options and conditions, and INCR's arithmetic: the steps that run
// on a key's shard, checked on plain values.
#include "Updates.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace {

using kv::Entry;
using kv::SetOptions;

constexpr std::int64_t kNow = 1'000'000;

std::string parse(std::vector<std::string_view> options, SetOptions &out) {
  options.insert(options.begin(), {"SET", "k", "v"});
  return kv::parse_set_options(options, kNow, out);
}

TEST(SetOptions, ExpiryAndConditions) {
  SetOptions o;
  EXPECT_EQ(parse({}, o), "");
  EXPECT_EQ(o.condition, SetOptions::Always);
  EXPECT_EQ(o.expires_ms, 0);
  EXPECT_EQ(parse({"ex", "10"}, o), "");
  EXPECT_EQ(o.expires_ms, kNow + 10'000);
  EXPECT_EQ(parse({"PX", "10", "nx"}, o), "");
  EXPECT_EQ(o.expires_ms, kNow + 10);
  EXPECT_EQ(o.condition, SetOptions::IfAbsent);
  EXPECT_EQ(parse({"XX", "EXAT", "5000"}, o), "");
  EXPECT_EQ(o.expires_ms, 5'000'000);
  EXPECT_EQ(o.condition, SetOptions::IfPresent);
  EXPECT_EQ(parse({"pxat", "77", "keepttl"}, o), "ERR syntax error");
  EXPECT_EQ(parse({"KEEPTTL"}, o), "");
  EXPECT_TRUE(o.keep_ttl);
}

TEST(SetOptions, ErrorsAsRedisWordsThem) {
  SetOptions o;
  for (std::vector<std::string_view> bad :
       {std::vector<std::string_view>{"NX", "XX"},
        {"EX"},
        {"EX", "1", "PX", "1"},
        {"KEEPTTL", "EX", "1"},
        {"GET"},
        {"FOO"}})
    EXPECT_EQ(parse(bad, o), "ERR syntax error") << bad[0];
  EXPECT_EQ(parse({"EX", "x"}, o),
            "ERR value is not an integer or out of range");
  EXPECT_EQ(parse({"EX", "0"}, o), "ERR invalid expire time in 'set' command");
  EXPECT_EQ(parse({"PX", "-5"}, o), "ERR invalid expire time in 'set' command");
  EXPECT_EQ(parse({"EX", "9223372036854775"}, o),
            "ERR invalid expire time in 'set' command");
  EXPECT_EQ(parse({"PX", "9223372036854775807"}, o),
            "ERR invalid expire time in 'set' command");
}

TEST(ApplySet, Conditions) {
  std::optional<Entry> v;
  EXPECT_FALSE(kv::apply_set(v, {"a", 0}, SetOptions::IfPresent, false, kNow));
  EXPECT_FALSE(v);
  EXPECT_TRUE(kv::apply_set(v, {"a", 0}, SetOptions::IfAbsent, false, kNow));
  EXPECT_EQ(v->value, "a");
  EXPECT_FALSE(kv::apply_set(v, {"b", 0}, SetOptions::IfAbsent, false, kNow));
  EXPECT_EQ(v->value, "a");
  EXPECT_TRUE(kv::apply_set(v, {"c", 0}, SetOptions::IfPresent, false, kNow));
  EXPECT_EQ(v->value, "c");
}

TEST(ApplySet, AnExpiredValueIsAbsent) {
  std::optional<Entry> v = Entry{"old", kNow};
  EXPECT_FALSE(kv::apply_set(v, {"x", 0}, SetOptions::IfPresent, false, kNow));
  EXPECT_FALSE(v) << "removed on the way";
  v = Entry{"old", kNow - 1};
  EXPECT_TRUE(kv::apply_set(v, {"new", 0}, SetOptions::IfAbsent, false, kNow));
  EXPECT_EQ(v->value, "new");
}

TEST(ApplySet, KeepTtl) {
  std::optional<Entry> v = Entry{"a", kNow + 50};
  EXPECT_TRUE(kv::apply_set(v, {"b", 0}, SetOptions::Always, true, kNow));
  EXPECT_EQ(v->expires_ms, kNow + 50);
  EXPECT_TRUE(kv::apply_set(v, {"c", 0}, SetOptions::Always, false, kNow));
  EXPECT_EQ(v->expires_ms, 0);
}

TEST(Increment, CountsFromZeroAndKeepsTheDeadline) {
  std::optional<Entry> v;
  auto r = kv::increment(v, 5, kNow);
  EXPECT_EQ(r.status, kv::IncrStatus::Ok);
  EXPECT_EQ(r.value, 5);
  v->expires_ms = kNow + 10;
  r = kv::increment(v, -7, kNow);
  EXPECT_EQ(r.value, -2);
  EXPECT_EQ(v->value, "-2");
  EXPECT_EQ(v->expires_ms, kNow + 10);
  v->expires_ms = kNow;
  r = kv::increment(v, 1, kNow);
  EXPECT_EQ(r.value, 1) << "an expired value counts as absent";
  EXPECT_EQ(v->expires_ms, 0);
}

TEST(Increment, NotAnIntegerOrOverflow) {
  std::optional<Entry> v = Entry{"1.5", 0};
  EXPECT_EQ(kv::increment(v, 1, kNow).status, kv::IncrStatus::NotInteger);
  v = Entry{" 1", 0};
  EXPECT_EQ(kv::increment(v, 1, kNow).status, kv::IncrStatus::NotInteger);
  v = Entry{"9223372036854775807", 0};
  EXPECT_EQ(kv::increment(v, 1, kNow).status, kv::IncrStatus::Overflow);
  EXPECT_EQ(v->value, "9223372036854775807") << "left as it was";
}

} // namespace
