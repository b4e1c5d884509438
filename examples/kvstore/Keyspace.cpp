// Counting live keys: a closure shipped to every shard visits its pairs
// there and sends back two numbers.
#include "Keyspace.hpp"

#include <vector>

namespace kv {
namespace {

/// Visits one pair (MapShard::Visit), adding it to \p counts if live.
struct CountLive {
  void operator()(const std::string &, const Entry &e, KeyCounts &counts,
                  std::int64_t now) const {
    if (!expired(e, now)) {
      ++counts.keys;
      counts.expires += e.expires_ms != 0;
    }
  }
};

} // namespace

KeyCounts count_keys(Store &store, std::int64_t now) {
  std::vector<nu::Future<KeyCounts>> parts;
  parts.reserve(store.shard_count());
  for (nu::Proclet<Store::Shard> shard : store.shards())
    parts.push_back(shard.RunAsync(
        [](Store::Shard &s, std::int64_t t) {
          KeyCounts counts;
          s.Visit<CountLive>(counts, t);
          return counts;
        },
        now));
  KeyCounts total;
  for (auto &part : parts) {
    KeyCounts c = part.get();
    total.keys += c.keys;
    total.expires += c.expires;
  }
  return total;
}

} // namespace kv
