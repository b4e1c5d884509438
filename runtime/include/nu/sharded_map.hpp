// nu::ShardedMap<K, V>: a hash table whose shards are proclets, spread over
// the nodes and migrated like any proclet. Compiled through nuc with the
// program that uses it; a map handle is an ordinary, copyable value.
#pragma once

#include "nu/caller_heap.hpp"
#include "nu/proclet.hpp"
#include "nu/runtime.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace nu {

/// One shard of a ShardedMap: the pairs whose keys hash to it. Each call
/// holds the shard's lock, so every operation on one key is atomic.
template <class K, class V> class [[nu::proclet]] MapShard {
public:
  void Put(const K &key, const V &value) {
    std::scoped_lock lock(mu_);
    map_.insert_or_assign(key, value);
  }
  std::optional<V> Get(const K &key) {
    std::scoped_lock lock(mu_);
    auto it = map_.find(key);
    CallerHeap for_caller; // the copy is the caller's
    return it == map_.end() ? std::nullopt : std::optional<V>(it->second);
  }
  bool Remove(const K &key) {
    std::scoped_lock lock(mu_);
    return map_.erase(key) != 0;
  }
  void PutMany(const std::vector<std::pair<K, V>> &pairs) {
    std::scoped_lock lock(mu_);
    for (const auto &[key, value] : pairs)
      map_.insert_or_assign(key, value);
  }
  std::vector<std::optional<V>> GetMany(const std::vector<K> &keys) {
    CallerHeap for_caller; // the copies are the caller's
    std::vector<std::optional<V>> values;
    values.reserve(keys.size());
    std::scoped_lock lock(mu_);
    for (const K &key : keys) {
      auto it = map_.find(key);
      values.push_back(it == map_.end() ? std::nullopt
                                        : std::optional<V>(it->second));
    }
    return values;
  }
  std::size_t RemoveMany(const std::vector<K> &keys) {
    std::size_t removed = 0;
    std::scoped_lock lock(mu_);
    for (const K &key : keys)
      removed += map_.erase(key);
    return removed;
  }
  std::size_t Size() {
    std::scoped_lock lock(mu_);
    return map_.size();
  }
  std::size_t Clear() {
    std::scoped_lock lock(mu_);
    return std::exchange(map_, {}).size();
  }
  std::vector<std::pair<K, V>> Items() {
    std::scoped_lock lock(mu_);
    CallerHeap for_caller; // the copies are the caller's
    return {map_.begin(), map_.end()};
  }

  /// Runs `fn(value, args...)` under the lock, `value` being the key's
  /// value (empty if absent); stores what `value` holds afterwards
  /// (erases the key if it is empty). Returns `fn`'s result.
  template <class F, class... A> auto Update(const K &key, A &&...args) {
    std::scoped_lock lock(mu_);
    auto node = map_.extract(key);
    std::optional<V> value;
    if (node)
      value.emplace(std::move(node.mapped()));
    struct Store {
      std::unordered_map<K, V> &map;
      const K &key;
      std::optional<V> &value;
      ~Store() {
        if (value)
          map.insert_or_assign(key, std::move(*value));
      }
    } store{map_, key, value};
    return F{}(value, std::forward<A>(args)...);
  }

  /// Runs `fn(key, value, args...)` on every pair under the lock.
  template <class F, class... A> void Visit(A &&...args) {
    std::scoped_lock lock(mu_);
    for (auto &[key, value] : map_)
      F{}(key, value, args...);
  }

  /// Folds every pair into \p acc with `fn(acc, key, value, args...)`
  /// under the lock; returns it.
  template <class F, class R, class... A> R Fold(R acc, A &&...args) {
    std::scoped_lock lock(mu_);
    for (const auto &[key, value] : map_)
      F{}(acc, key, value, args...);
    return acc;
  }

private:
  std::mutex mu_;
  std::unordered_map<K, V> map_;
};

/// How a ShardedMap picks a key's shard by default: std::hash<K>, mixed
/// (so that small integers spread), modulo the shard count. A partition of
/// your own is any such function object: `operator()(const K &key,
/// std::size_t shards)` returning an index below `shards`, the same on
/// every node (e.g. Redis Cluster's key slots, examples/kvstore).
template <class K> struct HashPartition {
  std::size_t operator()(const K &key, std::size_t shards) const {
    std::uint64_t h = std::hash<K>{}(key);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return static_cast<std::size_t>(h % shards);
  }
};

/// A hash table of `K` to `V` split over proclets (its shards), which the
/// runtime spreads over the nodes and migrates like any proclet. Copy the
/// handle anywhere (into closures, other proclets' fields); every copy
/// refers to the same map. Keys must go to the same shard on every node
/// (the same binary runs everywhere, so std::hash does); `Partition` says
/// which (HashPartition by default).
template <class K, class V, class Partition = HashPartition<K>>
class ShardedMap {
public:
  using Shard = MapShard<K, V>;

  /// An empty handle; use nu::make_sharded_map.
  ShardedMap() = default;
  explicit ShardedMap(std::vector<Proclet<Shard>> shards)
      : shards_(std::move(shards)) {}

  explicit operator bool() const { return !shards_.empty(); }
  std::size_t shard_count() const { return shards_.size(); }
  /// The shards, in hash order.
  const std::vector<Proclet<Shard>> &shards() const { return shards_; }
  /// The index of the shard that holds \p key.
  std::size_t shard_index(const K &key) const {
    return Partition{}(key, check().size());
  }

  /// Sets \p key to \p value.
  void Put(const K &key, const V &value) {
    shard(key).Run(&Shard::Put, key, value);
  }
  /// The value of \p key, if any.
  std::optional<V> Get(const K &key) const {
    return shard(key).Run(&Shard::Get, key);
  }
  /// Removes \p key; true if it was there.
  bool Remove(const K &key) { return shard(key).Run(&Shard::Remove, key); }

  Future<void> PutAsync(const K &key, const V &value) {
    return shard(key).RunAsync(&Shard::Put, key, value);
  }
  Future<std::optional<V>> GetAsync(const K &key) const {
    return shard(key).RunAsync(&Shard::Get, key);
  }
  Future<bool> RemoveAsync(const K &key) {
    return shard(key).RunAsync(&Shard::Remove, key);
  }

  /// Runs the capture-less closure `fn(std::optional<V> &value, args...)`
  /// on the shard holding \p key, atomically with respect to every other
  /// operation on that shard: `value` is the key's value (empty if
  /// absent); what it holds afterwards is stored (empty: the key is
  /// removed). Returns what `fn` returns.
  template <class F, class... A> auto Apply(const K &key, F fn, A &&...args) {
    if constexpr (!apply_fits<F, A...>) {
      check_apply<F, A...>(fn); // fails, saying what to write
      return detail::not_reached<apply_result<F, A...>>();
    } else {
      return shard(key).Run(update_closure<F, std::decay_t<A>...>(), key,
                            std::forward<A>(args)...);
    }
  }
  template <class F, class... A>
  auto ApplyAsync(const K &key, F fn, A &&...args) {
    if constexpr (!apply_fits<F, A...>) {
      check_apply<F, A...>(fn);
      return detail::not_reached<Future<apply_result<F, A...>>>();
    } else
      return shard(key).RunAsync(update_closure<F, std::decay_t<A>...>(), key,
                                 std::forward<A>(args)...);
  }

  /// The values of \p keys, in order: one request per shard involved,
  /// all at once.
  std::vector<std::optional<V>> GetMany(const std::vector<K> &keys) const {
    std::vector<std::optional<V>> values(keys.size());
    scatter(keys, &Shard::GetMany, [&](const auto &positions, auto got) {
      for (std::size_t i = 0; i < positions.size(); ++i)
        values[positions[i]] = std::move(got[i]);
    });
    return values;
  }
  /// Sets every pair (of pairs with the same key, the last wins).
  void PutMany(const std::vector<std::pair<K, V>> &pairs) {
    scatter(pairs, &Shard::PutMany);
  }
  /// Removes \p keys; returns how many were there.
  std::size_t RemoveMany(const std::vector<K> &keys) {
    std::size_t removed = 0;
    scatter(keys, &Shard::RemoveMany,
            [&](const auto &, std::size_t n) { removed += n; });
    return removed;
  }

  /// The number of pairs (a sum over the shards, each read at once).
  std::size_t Size() const {
    std::size_t total = 0;
    for (auto &f : on_all_shards(&Shard::Size))
      total += f.get();
    return total;
  }
  /// Removes every pair; returns how many there were.
  std::size_t Clear() {
    std::size_t total = 0;
    for (auto &f : on_all_shards(&Shard::Clear))
      total += f.get();
    return total;
  }
  /// Every pair, shard by shard (each shard's pairs read atomically).
  std::vector<std::pair<K, V>> Collect() const {
    std::vector<std::pair<K, V>> all;
    for (auto &f : on_all_shards(&Shard::Items)) {
      auto items = f.get();
      all.insert(all.end(), std::make_move_iterator(items.begin()),
                 std::make_move_iterator(items.end()));
    }
    return all;
  }
  /// Runs the capture-less closure `fn(const K &, V &, args...)` on every
  /// pair where the pair lives, all shards at once; returns when done.
  template <class F, class... A> void ForEach(F fn, A &&...args) {
    if constexpr (!capture_less<F>) {
      check_capture_less(fn);
    } else {
      std::vector<Future<void>> done;
      for (auto &s : check())
        done.push_back(s.RunAsync(
            [](Shard &shard, std::decay_t<A>... a) {
              shard.template Visit<F>(a...);
            },
            args...));
      for (auto &f : done)
        f.get();
    }
  }

  /// Reduces the map where its pairs live: each shard folds its pairs into
  /// a copy of \p init with the capture-less `fold(R &acc, const K &,
  /// const V &, args...)` (atomically per shard), all shards at once; only
  /// those results travel, and `combine(R, R)` merges them here in shard
  /// order. \p init should be the identity of `combine` (0 for a sum).
  template <class R, class F, class C, class... A>
  R Reduce(R init, F fold, C combine, A &&...args) const {
    if constexpr (!capture_less<F>) {
      check_capture_less(fold);
      return init;
    } else {
      std::vector<Future<R>> parts;
      for (const auto &s : check())
        parts.push_back(s.RunAsync(
            [](Shard &shard, R acc, std::decay_t<A>... a) {
              return shard.template Fold<F>(std::move(acc), a...);
            },
            init, args...));
      R out = parts.front().get();
      for (std::size_t i = 1; i < parts.size(); ++i)
        out = combine(std::move(out), parts[i].get());
      return out;
    }
  }

  /// A map handle travels as its shards' handles.
  template <class Archive> void serialize(Archive &ar) { ar(shards_); }

private:
  const std::vector<Proclet<Shard>> &check() const {
    if (shards_.empty())
      throw Error("nu: call through an empty nu::ShardedMap");
    return shards_;
  }
  const Proclet<Shard> &shard(const K &key) const {
    return shards_[shard_index(key)];
  }

  template <class F>
  static constexpr bool capture_less =
      std::is_empty_v<F> && std::is_default_constructible_v<F>;
  template <class F, class... A>
  static constexpr bool apply_fits =
      capture_less<F> && std::is_invocable_v<F, std::optional<V> &, A...>;

  /// What `fn` returns (void when it does not fit: that fails anyway).
  template <class F, class... A>
  using apply_result = typename std::conditional_t<
      std::is_invocable_v<F, std::optional<V> &, A...>,
      std::invoke_result<F, std::optional<V> &, A...>,
      std::type_identity<void>>::type;

  // While nuc reads a program, it reports captures ([nu-closure-captures]).
  template <class F> static void check_capture_less(const F &) {
    static_assert(!detail::kHeadersCheckCaptures || capture_less<F>,
                  "nu::ShardedMap: the closure must be a capture-less lambda; "
                  "pass what it needs as arguments after it");
  }
  template <class F, class... A> static void check_apply(const F &fn) {
    check_capture_less(fn);
    static_assert(std::is_invocable_v<F, std::optional<V> &, A...>,
                  "nu::ShardedMap::Apply: the closure must take "
                  "(std::optional<V> &value, args...)");
  }
  template <class F, class... A> static auto update_closure() {
    return [](Shard &s, K key, A... a) {
      return s.template Update<F>(key, std::move(a)...);
    };
  }

  static const K &key_of(const K &key) { return key; }
  static const K &key_of(const std::pair<K, V> &pair) { return pair.first; }

  /// Calls \p method on each shard that holds some of \p items with those
  /// items, all at once, then `take(positions in items, result)` shard by
  /// shard.
  template <class Item, class M, class Take = std::nullptr_t>
  void scatter(const std::vector<Item> &items, M method,
               Take take = nullptr) const {
    std::vector<std::vector<std::size_t>> positions(check().size());
    for (std::size_t i = 0; i < items.size(); ++i)
      positions[shard_index(key_of(items[i]))].push_back(i);
    using R = detail::MethodResult<M>;
    std::vector<Future<R>> futures(positions.size());
    for (std::size_t s = 0; s < positions.size(); ++s) {
      if (positions[s].empty())
        continue;
      std::vector<Item> part;
      part.reserve(positions[s].size());
      for (std::size_t i : positions[s])
        part.push_back(items[i]);
      futures[s] = shards_[s].RunAsync(method, std::move(part));
    }
    for (std::size_t s = 0; s < positions.size(); ++s) {
      if (!futures[s].valid())
        continue;
      if constexpr (std::is_void_v<R>)
        futures[s].get();
      else
        take(positions[s], futures[s].get());
    }
  }

  template <class M> auto on_all_shards(M method) const {
    std::vector<Future<detail::MethodResult<M>>> futures;
    futures.reserve(check().size());
    for (auto &s : shards_)
      futures.push_back(s.RunAsync(method));
    return futures;
  }

  std::vector<Proclet<Shard>> shards_;
};

/// Creates a map of \p shards shards (at least 1), spread round-robin over
/// the live nodes; from then on they migrate like any proclet. With
/// \p replicas backups each (see ProcletOptions::replicas), they survive
/// the death of the node hosting them.
template <class K, class V, class Partition = HashPartition<K>>
ShardedMap<K, V, Partition> make_sharded_map(std::size_t shards,
                                             unsigned replicas = 0) {
  if (shards == 0)
    throw Error("nu::make_sharded_map: a map needs at least one shard");
  std::vector<NodeId> where = nodes();
  std::vector<Proclet<MapShard<K, V>>> handles;
  handles.reserve(shards);
  for (std::size_t i = 0; i < shards; ++i)
    handles.push_back(make_proclet<MapShard<K, V>>(
        ProcletOptions{.node = where[i % where.size()], .replicas = replicas}));
  return ShardedMap<K, V, Partition>(std::move(handles));
}

} // namespace nu
