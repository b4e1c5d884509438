// The keyspace commands: GET, SET, DEL, EXISTS, INCR/DECR(BY), MGET, MSET,
// TTL, PTTL. Single-key updates run atomically on the key's shard (Apply).
#include "Commands.hpp"
#include "Numbers.hpp"
#include "Updates.hpp"

#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kv {
namespace {

void incr_by(Call &c, std::int64_t delta) {
  IncrResult r = c.store().Apply(
      c.key(1),
      [](std::optional<Entry> &v, std::int64_t d, std::int64_t now) {
        return increment(v, d, now);
      },
      delta, now_ms());
  if (r.status == IncrStatus::NotInteger)
    return reply_not_integer(c.out);
  if (r.status == IncrStatus::Overflow)
    return c.out.error("ERR increment or decrement would overflow");
  c.out.integer(r.value);
}

void incr(Call &c) { incr_by(c, 1); }
void decr(Call &c) { incr_by(c, -1); }

void incrby(Call &c) {
  auto n = parse_int64(c.args[2]);
  return n ? incr_by(c, *n) : reply_not_integer(c.out);
}

void decrby(Call &c) {
  auto n = parse_int64(c.args[2]);
  if (!n)
    return reply_not_integer(c.out);
  if (*n == std::numeric_limits<std::int64_t>::min())
    return c.out.error("ERR decrement would overflow");
  incr_by(c, -*n);
}

/// Removes \p key's entry if it has expired (another client may have set
/// it again since it was read).
void purge(Call &c, const std::string &key, std::int64_t now) {
  c.store().Apply(
      key,
      [](std::optional<Entry> &v, std::int64_t t) {
        if (v && expired(*v, t))
          v.reset();
      },
      now);
}

void get(Call &c) {
  const std::string &key = c.key(1);
  std::optional<Entry> v = c.store().Get(key);
  std::int64_t now = v && v->expires_ms ? now_ms() : 0;
  if (v && expired(*v, now)) {
    purge(c, key, now);
    v.reset();
  }
  return v ? c.out.bulk(v->value) : c.out.null_bulk();
}

void set(Call &c) {
  std::int64_t now = c.args.size() > 3 ? now_ms() : 0; // only for options
  SetOptions o;
  if (std::string error = parse_set_options(c.args, now, o); !error.empty())
    return c.out.error(error);
  Entry e{std::string(c.args[2]), o.expires_ms};
  if (o.condition == SetOptions::Always && !o.keep_ttl) {
    c.store().Put(c.key(1), e);
    return c.out.simple("OK");
  }
  bool done = c.store().Apply(
      c.key(1),
      [](std::optional<Entry> &v, Entry e, int condition, bool keep_ttl,
         std::int64_t t) {
        return apply_set(v, std::move(e), condition, keep_ttl, t);
      },
      std::move(e), static_cast<int>(o.condition), o.keep_ttl, now);
  return done ? c.out.simple("OK") : c.out.null_bulk();
}

/// args[first...] as keys.
std::vector<std::string> keys_from(const Call &c, std::size_t first) {
  return std::vector<std::string>(
      c.args.begin() + static_cast<std::ptrdiff_t>(first), c.args.end());
}

void del(Call &c) {
  constexpr auto remove = [](std::optional<Entry> &v, std::int64_t now) {
    return live(std::exchange(v, std::nullopt), now);
  };
  std::int64_t now = now_ms();
  if (c.args.size() == 2)
    return c.out.integer(c.store().Apply(c.key(1), remove, now));
  std::vector<nu::Future<bool>> removed;
  for (const std::string &key : keys_from(c, 1))
    removed.push_back(c.store().ApplyAsync(key, remove, now));
  std::int64_t n = 0;
  for (auto &f : removed)
    n += f.get();
  c.out.integer(n);
}

void exists(Call &c) {
  std::int64_t now = now_ms();
  if (c.args.size() == 2)
    return c.out.integer(live(c.store().Get(c.key(1)), now));
  std::int64_t n = 0;
  for (const auto &v : c.store().GetMany(keys_from(c, 1)))
    n += live(v, now);
  c.out.integer(n);
}

void mget(Call &c) {
  auto values = c.store().GetMany(keys_from(c, 1));
  std::int64_t now = now_ms();
  c.out.array(values.size());
  for (const auto &v : values)
    live(v, now) ? c.out.bulk(v->value) : c.out.null_bulk();
}

void mset(Call &c) {
  if (c.args.size() % 2 == 0)
    return reply_arity(c.out, "mset");
  std::vector<std::pair<std::string, Entry>> pairs;
  pairs.reserve(c.args.size() / 2);
  for (std::size_t i = 1; i < c.args.size(); i += 2)
    pairs.emplace_back(std::string(c.args[i]),
                       Entry{std::string(c.args[i + 1])});
  c.store().PutMany(pairs);
  c.out.simple("OK");
}

void ttl_in(Call &c, bool ms) {
  std::optional<Entry> v = c.store().Get(c.key(1));
  std::int64_t now = now_ms();
  if (!live(v, now))
    return c.out.integer(-2);
  if (v->expires_ms == 0)
    return c.out.integer(-1);
  std::int64_t left = v->expires_ms - now;
  c.out.integer(ms ? left : (left + 500) / 1000);
}

void ttl(Call &c) { ttl_in(c, false); }
void pttl(Call &c) { ttl_in(c, true); }

constexpr KeySpec kOne{1, 1, 1};  // the first argument
constexpr KeySpec kAll{1, -1, 1}; // every argument

} // namespace

const std::vector<CommandSpec> &string_commands() {
  static const std::vector<CommandSpec> commands = {
      {"get", 2, get, kOne},
      {"set", -3, set, kOne, true},
      {"del", -2, del, kAll, true},
      {"exists", -2, exists, kAll},
      {"incr", 2, incr, kOne, true},
      {"decr", 2, decr, kOne, true},
      {"incrby", 3, incrby, kOne, true},
      {"decrby", 3, decrby, kOne, true},
      {"mget", -2, mget, kAll},
      {"mset", -3, mset, {1, -1, 2}, true},
      {"ttl", 2, ttl, kOne},
      {"pttl", 2, pttl, kOne},
  };
  return commands;
}

} // namespace kv
