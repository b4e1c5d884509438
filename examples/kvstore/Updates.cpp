// SET's options and conditions and INCR's arithmetic, as Redis 7 does
// them (the same checks, in the same order, with the same replies).
#include "Updates.hpp"

#include "Numbers.hpp"

#include <algorithm>
#include <cctype>
#include <climits>

namespace kv {
namespace {

bool is(std::string_view arg, std::string_view upper) {
  return std::equal(arg.begin(), arg.end(), upper.begin(), upper.end(),
                    [](char a, char b) {
                      return std::toupper(static_cast<unsigned char>(a)) == b;
                    });
}

/// The deadline for \p unit ("EX", "PX", "EXAT", "PXAT") and \p value.
std::string deadline(std::string_view unit, std::string_view value,
                     std::int64_t now, std::int64_t &out) {
  auto n = parse_int64(value);
  if (!n)
    return "ERR value is not an integer or out of range";
  bool seconds = unit == "EX" || unit == "EXAT";
  std::int64_t ms = *n;
  if (ms <= 0 || (seconds && __builtin_mul_overflow(ms, 1000, &ms)) ||
      (unit.size() == 2 && __builtin_add_overflow(ms, now, &ms)))
    return "ERR invalid expire time in 'set' command";
  out = ms;
  return {};
}

} // namespace

std::string parse_set_options(const std::vector<std::string_view> &args,
                              std::int64_t now, SetOptions &out) {
  out = {};
  std::string_view unit, value;
  for (std::size_t i = 3; i < args.size(); ++i) {
    std::string_view a = args[i];
    bool has_next = i + 1 < args.size();
    if (is(a, "NX") && out.condition != SetOptions::IfPresent) {
      out.condition = SetOptions::IfAbsent;
    } else if (is(a, "XX") && out.condition != SetOptions::IfAbsent) {
      out.condition = SetOptions::IfPresent;
    } else if (is(a, "KEEPTTL") && unit.empty()) {
      out.keep_ttl = true;
    } else if ((is(a, "EX") || is(a, "PX") || is(a, "EXAT") || is(a, "PXAT")) &&
               unit.empty() && !out.keep_ttl && has_next) {
      unit = a.size() == 2 ? (is(a, "EX") ? "EX" : "PX")
                           : (is(a, "EXAT") ? "EXAT" : "PXAT");
      value = args[++i];
    } else {
      return "ERR syntax error";
    }
  }
  return unit.empty() ? std::string()
                      : deadline(unit, value, now, out.expires_ms);
}

bool apply_set(std::optional<Entry> &v, Entry e, int condition, bool keep_ttl,
               std::int64_t now) {
  bool present = live(v, now);
  if ((condition == SetOptions::IfAbsent && present) ||
      (condition == SetOptions::IfPresent && !present)) {
    if (v && !present)
      v.reset(); // expired: gone for good
    return false;
  }
  if (keep_ttl && present)
    e.expires_ms = v->expires_ms;
  v = std::move(e);
  return true;
}

IncrResult increment(std::optional<Entry> &v, std::int64_t delta,
                     std::int64_t now) {
  if (v && expired(*v, now))
    v.reset();
  std::optional<std::int64_t> old = v ? parse_int64(v->value) : 0;
  if (!old)
    return {IncrStatus::NotInteger, 0};
  auto sum = checked_add(*old, delta);
  if (!sum)
    return {IncrStatus::Overflow, 0};
  if (!v)
    v.emplace();
  v->value = std::to_string(*sum); // the deadline stays
  return {IncrStatus::Ok, *sum};
}

} // namespace kv
