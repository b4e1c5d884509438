// nu::ShardedMap on three nodes in one process (a real controller service,
// in-memory transport), compiled through nuc like user code: operations,
// handles copied into proclets, and no write lost while shards migrate.
#include "ControlledCluster.hpp"

#include <nu/migrate.hpp>
#include <nu/sharded_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace nutest {
namespace {

using Map = nu::ShardedMap<std::string, long>;

// A proclet that keeps a copy of a map handle and writes through it.
class [[nu::proclet]] MapWriter {
public:
  explicit MapWriter(Map map) : map_(std::move(map)) {}
  void Write(std::string prefix, int count) {
    for (int i = 0; i < count; ++i)
      map_.Put(prefix + std::to_string(i), i);
  }
  long Read(std::string key) { return map_.Get(key).value_or(-1); }

private:
  Map map_;
};

// A value type without a serializer of its own: nuc writes it.
struct Score {
  std::string who;
  int hits = 0;
};

class ShardedMap : public ControlledCluster {
protected:
  ShardedMap() {
    EXPECT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  }
  nu::detail::NodeScope scope_{&node(0)};
};

long add(std::optional<long> &value, long n) {
  value = value.value_or(0) + n;
  return *value;
}

TEST_F(ShardedMap, ShardsSpreadOverTheNodes) {
  Map map = nu::make_sharded_map<std::string, long>(12);
  EXPECT_EQ(map.shard_count(), 12u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(node(i).proclet_count(), 4u) << "node " << i + 1;
}

TEST_F(ShardedMap, PutGetRemove) {
  Map map = nu::make_sharded_map<std::string, long>(6);
  EXPECT_EQ(map.Get("a"), std::nullopt);
  map.Put("a", 1);
  map.Put("a", 2);
  EXPECT_EQ(map.Get("a"), 2);
  EXPECT_TRUE(map.Remove("a"));
  EXPECT_FALSE(map.Remove("a"));
  for (int i = 0; i < 300; ++i)
    map.PutAsync("k" + std::to_string(i), i).get();
  EXPECT_EQ(map.Size(), 300u);
  EXPECT_EQ(map.GetAsync("k7").get(), 7);
  EXPECT_TRUE(map.RemoveAsync("k7").get());
  EXPECT_EQ(map.Clear(), 299u);
  EXPECT_EQ(map.Size(), 0u);
}

TEST_F(ShardedMap, ReadsGoThroughAConstMap) {
  Map map = nu::make_sharded_map<std::string, long>(3);
  map.PutMany({{"a", 1}, {"b", 2}});
  const Map &reader = map;
  EXPECT_EQ(reader.Get("a"), 1);
  EXPECT_EQ(reader.GetAsync("b").get(), 2);
  EXPECT_EQ(reader.GetMany({"b", "c"}),
            (std::vector<std::optional<long>>{2, std::nullopt}));
  EXPECT_EQ(reader.Size(), 2u);
  EXPECT_EQ(reader.Collect().size(), 2u);
}

// Only each shard's partial result travels: a sum and a count of the
// values over a threshold, and a word list gathered shard by shard.
TEST_F(ShardedMap, ReduceFoldsWhereThePairsLive) {
  Map map = nu::make_sharded_map<std::string, long>(6);
  for (int i = 0; i < 100; ++i)
    map.Put("k" + std::to_string(i), i);
  using Sums = std::pair<long, long>;
  Sums sums = map.Reduce(
      Sums{0, 0},
      [](Sums &acc, const std::string &, const long &v, long over) {
        acc.first += v;
        acc.second += v > over ? 1 : 0;
      },
      [](Sums a, Sums b) {
        return Sums{a.first + b.first, a.second + b.second};
      },
      89L);
  EXPECT_EQ(sums, (Sums{4950, 10}));
  const Map &reader = map;
  auto keys = reader.Reduce(
      std::vector<std::string>{},
      [](std::vector<std::string> &acc, const std::string &k, const long &v) {
        if (v % 25 == 0)
          acc.push_back(k);
      },
      [](std::vector<std::string> a, std::vector<std::string> b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
      });
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"k0", "k25", "k50", "k75"}));
}

TEST_F(ShardedMap, ManyKeysAtOnceKeepTheirOrder) {
  Map map = nu::make_sharded_map<std::string, long>(6);
  std::vector<std::pair<std::string, long>> pairs;
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    pairs.emplace_back("k" + std::to_string(i), i);
    keys.push_back("k" + std::to_string(i * 2)); // half of them absent
  }
  pairs.emplace_back("k0", -5); // the last pair for a key wins
  map.PutMany(pairs);
  auto values = map.GetMany(keys);
  ASSERT_EQ(values.size(), keys.size());
  EXPECT_EQ(values[0], -5);
  for (int i = 1; i < 200; ++i)
    EXPECT_EQ(values[i],
              i * 2 < 200 ? std::optional<long>(i * 2) : std::nullopt);
  EXPECT_EQ(map.RemoveMany(keys), 100u);
  EXPECT_EQ(map.Size(), 100u);
  auto all = map.Collect();
  EXPECT_EQ(all.size(), 100u);
  for (const auto &[key, value] : all)
    EXPECT_EQ(key, "k" + std::to_string(value == -5 ? 0 : value));
}

TEST_F(ShardedMap, ApplyIsAtomicPerKey) {
  Map map = nu::make_sharded_map<std::string, long>(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      nu::detail::NodeScope scope(&node(t % 3));
      Map mine = map;
      for (int i = 0; i < 250; ++i)
        mine.Apply(
            "n", [](std::optional<long> &v, long d) { return add(v, d); }, 1L);
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(map.Get("n"), 1000);
  auto f = map.ApplyAsync(
      "n", [](std::optional<long> &v) { return std::exchange(v, {}); });
  EXPECT_EQ(f.get(), 1000);
  EXPECT_EQ(map.Get("n"), std::nullopt) << "an emptied value removes the key";
}

TEST_F(ShardedMap, ForEachRunsWhereThePairsAre) {
  Map map = nu::make_sharded_map<std::string, long>(6);
  for (int i = 0; i < 100; ++i)
    map.Put(std::to_string(i), i);
  map.ForEach([](const std::string &, long &v, long k) { v *= k; }, 3L);
  long sum = 0;
  for (const auto &[key, value] : map.Collect())
    sum += value;
  EXPECT_EQ(sum, 3 * 99 * 100 / 2);
}

TEST_F(ShardedMap, AHandleIsAValueThatProcletsKeep) {
  Map map = nu::make_sharded_map<std::string, long>(6);
  auto writer = nu::make_proclet<MapWriter>(nu::ProcletOptions{.node = 3}, map);
  writer.Run(&MapWriter::Write, std::string("w"), 50);
  EXPECT_EQ(map.Size(), 50u);
  EXPECT_EQ(map.Get("w49"), 49);
  map.Put("mine", 7);
  EXPECT_EQ(writer.Run(&MapWriter::Read, std::string("mine")), 7);
  EXPECT_EQ(writer.Run(+[](MapWriter &w) { return w.Read("w3"); }), 3);
}

TEST_F(ShardedMap, NoWriteIsLostWhileShardsMigrate) {
  Map map = nu::make_sharded_map<std::string, long>(8);
  std::atomic<bool> done{false};
  std::thread mover([&] {
    nu::detail::NodeScope scope(&node(1));
    std::mt19937 random(7);
    int moves = 0;
    while (!done || moves < 20) {
      auto &shard = map.shards()[random() % map.shard_count()];
      nu::NodeId to = 1 + random() % 3;
      try {
        nu::migrate(shard, to);
        ++moves;
      } catch (const nu::Error &) { // already there
      }
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t)
    writers.emplace_back([&, t] {
      nu::detail::NodeScope scope(&node(t));
      Map mine = map;
      for (int i = 0; i < 400; ++i) {
        std::string key = "k" + std::to_string(i % 40);
        if (i % 2 == 0)
          mine.Apply(key, [](std::optional<long> &v) { return add(v, 1); });
        else
          mine.ApplyAsync(key, [](std::optional<long> &v) { return add(v, 1); })
              .get();
        mine.Put("t" + std::to_string(t) + "-" + std::to_string(i), i);
      }
    });
  for (auto &w : writers)
    w.join();
  done = true;
  mover.join();
  EXPECT_EQ(map.Size(), 40u + 3 * 400);
  for (std::optional<long> v : map.GetMany({"k0", "k17", "k39"}))
    EXPECT_EQ(v, 30) << "3 writers x 10 increments per key";
  long total = 0;
  for (const auto &[key, value] : map.Collect())
    total += key[0] == 'k' ? value : 0;
  EXPECT_EQ(total, 3 * 400);
}

TEST_F(ShardedMap, AggregateValuesTravel) {
  auto scores = nu::make_sharded_map<int, Score>(6); // on every node
  for (int i = 0; i < 30; ++i)
    scores.Put(i, Score{"p" + std::to_string(i), i});
  scores.Apply(
      7, [](std::optional<Score> &s, int more) { s->hits += more; }, 100);
  std::optional<Score> seven = scores.Get(7);
  ASSERT_TRUE(seven);
  EXPECT_EQ(seven->who, "p7");
  EXPECT_EQ(seven->hits, 107);
  EXPECT_EQ(scores.Collect().size(), 30u);
}

TEST_F(ShardedMap, MisuseIsAClearError) {
  Map empty;
  EXPECT_FALSE(empty);
  EXPECT_THROW(empty.Get("a"), nu::Error);
  EXPECT_THROW(empty.Size(), nu::Error);
  EXPECT_THROW((nu::make_sharded_map<std::string, long>(0)), nu::Error);
  Map map = nu::make_sharded_map<std::string, long>(2);
  map.Put("a", 1);
  EXPECT_THROW(map.Apply("a",
                         [](std::optional<long> &) -> long {
                           throw std::runtime_error("no");
                         }),
               nu::RemoteError);
  EXPECT_EQ(map.Get("a"), 1) << "a throwing closure leaves the value";
}

} // namespace
} // namespace nutest
