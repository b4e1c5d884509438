// Strict integers, memory sizes and glob patterns, the way Redis reads
// them (string2ll, memtoll, stringmatchlen).
#include "Numbers.hpp"

#include <cctype>
#include <limits>
#include <string>

namespace kv {

std::optional<std::int64_t> parse_int64(std::string_view s) {
  if (s == "0")
    return 0;
  bool negative = !s.empty() && s.front() == '-';
  std::string_view digits = s.substr(negative);
  // 19 digits cannot overflow 64 unsigned bits; more are out of range.
  if (digits.empty() || digits.size() > 19 || digits.front() == '0')
    return std::nullopt;
  std::uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  constexpr std::uint64_t max = std::numeric_limits<std::int64_t>::max();
  if (v > max + negative)
    return std::nullopt;
  return negative ? static_cast<std::int64_t>(0 - v)
                  : static_cast<std::int64_t>(v);
}

namespace {

std::optional<std::uint64_t> unit_scale(std::string_view unit) {
  std::string lower;
  for (char c : unit)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  constexpr struct {
    std::string_view name;
    std::uint64_t scale;
  } units[] = {{"", 1},           {"b", 1},          {"k", 1000},
               {"kb", 1024},      {"m", 1000000},    {"mb", 1024 * 1024},
               {"g", 1000000000}, {"gb", 1ull << 30}};
  for (const auto &u : units)
    if (lower == u.name)
      return u.scale;
  return std::nullopt;
}

} // namespace

std::optional<std::uint64_t> parse_memory(std::string_view s) {
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9')
    ++digits;
  auto scale = unit_scale(s.substr(digits));
  auto n = parse_int64(s.substr(0, digits));
  if (!scale || !n || *n < 0)
    return std::nullopt;
  auto v = static_cast<std::uint64_t>(*n);
  if (v > std::numeric_limits<std::uint64_t>::max() / *scale)
    return std::nullopt;
  return v * *scale;
}

std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum))
    return std::nullopt;
  return sum;
}

namespace {

char fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                : c;
}

/// Matches the class at the start of \p p ("[...]"; p[0] == '['); leaves
/// \p p after it.
bool match_class(std::string_view &p, char c, bool nocase) {
  p.remove_prefix(1);
  bool negate = !p.empty() && p.front() == '^';
  if (negate)
    p.remove_prefix(1);
  bool match = false;
  while (!p.empty() && p.front() != ']') {
    if (p.front() == '\\' && p.size() >= 2) {
      p.remove_prefix(1);
      match |= fold(p.front(), nocase) == fold(c, nocase);
    } else if (p.size() >= 3 && p[1] == '-') {
      char lo = fold(p[0], nocase), hi = fold(p[2], nocase);
      if (lo > hi)
        std::swap(lo, hi);
      match |= fold(c, nocase) >= lo && fold(c, nocase) <= hi;
      p.remove_prefix(2);
    } else {
      match |= fold(p.front(), nocase) == fold(c, nocase);
    }
    p.remove_prefix(1);
  }
  if (!p.empty())
    p.remove_prefix(1); // ']'
  return match != negate;
}

} // namespace

bool glob_match(std::string_view p, std::string_view s, bool nocase) {
  while (!p.empty()) {
    switch (p.front()) {
    case '*':
      while (p.size() > 1 && p[1] == '*')
        p.remove_prefix(1);
      if (p.size() == 1)
        return true;
      for (std::size_t i = 0; i <= s.size(); ++i)
        if (glob_match(p.substr(1), s.substr(i), nocase))
          return true;
      return false;
    case '?':
      if (s.empty())
        return false;
      p.remove_prefix(1);
      break;
    case '[':
      if (s.empty() || !match_class(p, s.front(), nocase))
        return false;
      break;
    case '\\':
      if (p.size() >= 2)
        p.remove_prefix(1);
      [[fallthrough]];
    default:
      if (s.empty() || fold(p.front(), nocase) != fold(s.front(), nocase))
        return false;
      p.remove_prefix(1);
      break;
    }
    s.remove_prefix(1);
  }
  return s.empty();
}

} // namespace kv
