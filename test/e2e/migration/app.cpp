// The nu program of the migration e2e tests: `--scenario chaos` (exact
// counts while nodes move proclets at random), `--scenario sharded-map`
// (the same for a nu::ShardedMap written from every node), `memory` and
// `squeeze`.
#include "../harness/AppSupport.hpp"

#include <nu/nu.hpp>
#include <nu/sharded_map.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

class [[nu::proclet]] Counter {
public:
  void Add(int n) {
    std::scoped_lock lock(mu_);
    value_ += n;
  }
  long Get() const {
    std::scoped_lock lock(mu_);
    return value_;
  }

private:
  mutable std::mutex mu_;
  long value_ = 0;
};

// A block of bytes that grows by calls; byte i is a function of its seed.
class [[nu::proclet]] Blob {
public:
  Blob() = default;
  Blob(int seed, std::uint64_t capacity) : seed_(seed), capacity_(capacity) {}
  std::uint64_t Grow(std::uint64_t n) {
    std::scoped_lock lock(mu_);
    data_.reserve(std::max<std::uint64_t>(capacity_, data_.size() + n));
    for (std::uint64_t i = 0; i < n; ++i)
      data_.push_back(byte(data_.size()));
    return data_.size();
  }
  // The index of the first wrong byte, or the size if all are right.
  std::uint64_t FirstWrong() const {
    std::scoped_lock lock(mu_);
    for (std::uint64_t i = 0; i < data_.size(); ++i)
      if (data_[i] != byte(i))
        return i;
    return data_.size();
  }
  std::uint64_t Size() const {
    std::scoped_lock lock(mu_);
    return data_.size();
  }
  nu::NodeId Where() const { return nu::this_node(); }

private:
  std::uint8_t byte(std::uint64_t i) const {
    return static_cast<std::uint8_t>((i * 131 + seed_) % 251);
  }

  mutable std::mutex mu_;
  int seed_ = 0;
  std::uint64_t capacity_ = 0;
  std::vector<std::uint8_t> data_;
};

// Strings added one call at a time: what several bags hold shares the
// allocator's pages unless each bag has a heap of its own.
class [[nu::proclet]] Bag {
public:
  void Add(std::uint32_t size) {
    std::scoped_lock lock(mu_);
    items_.emplace_back(size, 'b');
  }
  std::uint64_t Count() const {
    std::scoped_lock lock(mu_);
    return items_.size();
  }
  nu::NodeId Where() const { return nu::this_node(); }

private:
  mutable std::mutex mu_;
  std::vector<std::string> items_;
};

// Pinned beside the bags: fills them in turn, one string each per round.
class [[nu::proclet]] Filler {
public:
  void Fill(std::vector<nu::Proclet<Bag>> bags, std::uint32_t rounds,
            std::uint32_t size) {
    for (std::uint32_t r = 0; r < rounds; ++r)
      for (auto &bag : bags)
        bag.Run(&Bag::Add, size);
  }
};

// Pinned on a node: reports that node's resident memory, sets its limit.
class [[nu::proclet]] Probe {
public:
  void SetLimit(std::uint64_t bytes) { nu::set_memory_limit(bytes); }
  std::uint64_t Rss() const {
    std::ifstream in("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    in >> size >> resident;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  }
};

// CPU time the calling thread used so far.
static long thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1'000'000'000L + t.tv_nsec;
}

// Burns CPU for its callers: its node's CPU use is what they ask for.
class [[nu::proclet]] Spinner {
public:
  // Spins until this thread has used \p us of CPU; returns where it ran.
  nu::NodeId Spin(std::uint32_t us) {
    const long until = thread_cpu_ns() + long{us} * 1000;
    while (thread_cpu_ns() < until) {
    }
    return nu::this_node();
  }
};

namespace {

using nu::e2e::check;
using nu::e2e::wait_for_nodes;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

long elapsed_ms(Clock::time_point start) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                            start)
          .count());
}

// --- chaos: 100,000 Add(1) from 4 threads on 64 counters, exact totals.

constexpr int kCounters = 64, kThreads = 4, kCalls = 100'000, kBatch = 32;

// Thread t's calls: batches of RunAsync and of Run, in turn; returns how
// many went to each counter.
std::vector<long> add_ones(int t, std::vector<nu::Proclet<Counter>> counters) {
  std::vector<long> sent(kCounters, 0);
  std::vector<nu::Future<void>> batch;
  for (int i = 0; i < kCalls / kThreads; ++i) {
    int c = (i * 7 + t * 13) % kCounters;
    sent[c]++;
    if ((i / kBatch) % 2 == 0)
      batch.push_back(counters[c].RunAsync(&Counter::Add, 1));
    else
      counters[c].Run(&Counter::Add, 1);
    if (batch.size() == static_cast<std::size_t>(kBatch)) {
      for (auto &f : batch)
        f.get();
      batch.clear();
    }
  }
  for (auto &f : batch)
    f.get();
  return sent;
}

void chaos(const std::vector<nu::NodeId> &nodes) {
  std::vector<nu::Proclet<Counter>> counters;
  for (int i = 0; i < kCounters; ++i)
    counters.push_back(nu::make_proclet<Counter>(
        nu::ProcletOptions{.node = nodes[i % nodes.size()]}));
  auto start = Clock::now();
  std::vector<std::vector<long>> sent(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        sent[t] = add_ones(t, counters);
      } catch (const std::exception &e) {
        errors[t] = e.what();
      }
    });
  for (auto &t : threads)
    t.join();
  for (const std::string &e : errors)
    check(e.empty(), "a call failed: " + e);
  std::cout << "calls-ms " << elapsed_ms(start) << std::endl;
  long total = 0;
  std::string wrong;
  for (int c = 0; c < kCounters; ++c) {
    long expected = 0;
    for (auto &s : sent)
      expected += s[c];
    long got = counters[c].Run(&Counter::Get);
    if (got != expected)
      wrong += " counter " + std::to_string(c) + " has " + std::to_string(got) +
               ", expected " + std::to_string(expected) + ";";
    total += got;
  }
  std::cout << "total " << total << std::endl;
  check(wrong.empty() && total == kCalls,
        "total " + std::to_string(total) + ";" + wrong);
}

// --- sharded-map: a writer proclet on each node increments every key of a
// shared map while its shards move at random; no increment is lost.

using Tally = nu::ShardedMap<int, long>;
constexpr int kKeys = 500, kRounds = 20;

class [[nu::proclet]] Writer {
public:
  explicit Writer(Tally map) : map_(std::move(map)) {}
  // kRounds increments of every key: Apply and ApplyAsync in turn.
  long Run() {
    auto inc = [](std::optional<long> &v) { v = v.value_or(0) + 1; };
    std::vector<nu::Future<void>> pending;
    for (int r = 0; r < kRounds; ++r)
      for (int k = 0; k < kKeys; ++k) {
        if (r % 2 == 0) {
          map_.Apply(k, inc);
          continue;
        }
        pending.push_back(map_.ApplyAsync(k, inc));
        if (pending.size() == 64) {
          for (auto &f : pending)
            f.get();
          pending.clear();
        }
      }
    for (auto &f : pending)
      f.get();
    return kRounds * kKeys;
  }

private:
  Tally map_;
};

void sharded_map(const std::vector<nu::NodeId> &nodes) {
  Tally map = nu::make_sharded_map<int, long>(32);
  std::vector<nu::Future<long>> done;
  std::vector<nu::Proclet<Writer>> writers;
  for (nu::NodeId n : nodes) {
    writers.push_back(nu::make_proclet<Writer>(
        nu::ProcletOptions{.pinned = true, .node = n}, map));
    done.push_back(writers.back().RunAsync(&Writer::Run));
  }
  long sent = 0;
  for (auto &f : done)
    sent += f.get();
  std::vector<int> keys(kKeys);
  for (int k = 0; k < kKeys; ++k)
    keys[k] = k;
  std::string wrong;
  auto values = map.GetMany(keys);
  for (int k = 0; k < kKeys; ++k)
    if (values[k] != static_cast<long>(nodes.size()) * kRounds)
      wrong += " key " + std::to_string(k) + ": " +
               std::to_string(values[k].value_or(-1)) + ";";
  long total = 0;
  for (const auto &[key, value] : map.Collect())
    total += value;
  std::cout << "map-total " << total << std::endl;
  check(wrong.empty() && total == sent && map.Size() == kKeys,
        "total " + std::to_string(total) + " of " + std::to_string(sent) + ";" +
            wrong);
}

// --- memory: blobs grow on a squeezed node; its RSS stays under its limit.

constexpr int kBlobs = 72;
constexpr std::uint64_t kBlobBytes = 1 << 20, kStep = 128 << 10;

std::uint64_t mib(std::uint64_t bytes) { return bytes >> 20; }

void memory(nu::NodeId squeezed, std::uint64_t limit) {
  auto probe = nu::make_proclet<Probe>(
      nu::ProcletOptions{.pinned = true, .node = squeezed});
  std::vector<nu::Proclet<Blob>> blobs;
  std::uint64_t max_rss = 0;
  for (int b = 0; b < kBlobs; ++b) {
    blobs.push_back(nu::make_proclet<Blob>(nu::ProcletOptions{.node = squeezed},
                                           b, kBlobBytes));
    for (std::uint64_t size = 0; size < kBlobBytes; size += kStep) {
      check(blobs[b].Run(&Blob::Grow, kStep) == size + kStep, "Grow");
      std::this_thread::sleep_for(10ms);
      max_rss = std::max(max_rss, probe.Run(&Probe::Rss));
    }
  }
  int away = 0;
  for (int b = 0; b < kBlobs; ++b) {
    check(blobs[b].Run(&Blob::FirstWrong) == kBlobBytes,
          "blob " + std::to_string(b) + " lost or changed bytes");
    away += blobs[b].Run(&Blob::Where) != squeezed;
  }
  std::cout << "max-rss-mib " << mib(max_rss) << " limit-mib " << mib(limit)
            << "\nblobs-moved " << away << " of " << kBlobs << std::endl;
  check(max_rss < limit, "the squeezed node's RSS reached its limit");
  check(away > 0, "no blob left the squeezed node");
}

// --- squeeze: 32 bags of small strings, added in turn (so their
// allocations interleave); the squeezed node's limit is then set so that it
// must free 12 MiB. It must move just enough bags: prints how much it moved
// against what was needed.

constexpr int kBags = 32;
constexpr std::uint32_t kItems = 8192, kItemBytes = 100;
constexpr std::uint64_t kNeeded = 12 << 20;

void squeeze(nu::NodeId squeezed) {
  auto probe = nu::make_proclet<Probe>(
      nu::ProcletOptions{.pinned = true, .node = squeezed});
  auto filler = nu::make_proclet<Filler>(
      nu::ProcletOptions{.pinned = true, .node = squeezed});
  std::vector<nu::Proclet<Bag>> bags;
  for (int b = 0; b < kBags; ++b)
    bags.push_back(nu::make_proclet<Bag>(nu::ProcletOptions{.node = squeezed}));
  const std::uint64_t empty = probe.Run(&Probe::Rss);
  filler.Run(&Filler::Fill, bags, kItems, kItemBytes);
  const std::uint64_t full = probe.Run(&Probe::Rss);
  const double bag = static_cast<double>(full - empty) / kBags;
  const std::uint64_t limit = (full - kNeeded) / 8 * 10; // relieved below 80 %
  probe.Run(&Probe::SetLimit, limit);
  const auto start = Clock::now();
  while (probe.Run(&Probe::Rss) >= limit / 10 * 8 && elapsed_ms(start) < 10'000)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(500ms); // a move past relief would show
  const std::uint64_t rss = probe.Run(&Probe::Rss);
  int away = 0;
  for (auto &b : bags) {
    check(b.Run(&Bag::Count) == kItems, "a bag lost strings");
    away += b.Run(&Bag::Where) != squeezed;
  }
  char ratio[16];
  std::snprintf(ratio, sizeof ratio, "%.2f", away * bag / kNeeded);
  std::cout << "full-mib " << mib(full) << " limit-mib " << mib(limit)
            << " rss-mib " << mib(rss) << " bag-kib "
            << static_cast<long>(bag / 1024) << "\nbags-moved " << away
            << " of " << kBags << " moved/needed " << ratio << std::endl;
  check(rss < limit / 10 * 8, "the squeezed node stayed above 80 % of its "
                              "limit for 10 s");
}

// --- cpu: spinners on a node whose CPU another process keeps busy, called
// one after the other (about half a CPU in all) until every one has moved
// away or 15 s passed. Prints how many moved, and how many of those went to
// the node given as busy (which shares the squeezed node's CPU).

constexpr int kSpinners = 6;
constexpr std::uint32_t kSpinUs = 1000;

void cpu(nu::NodeId squeezed, nu::NodeId busy) {
  std::vector<nu::Proclet<Spinner>> spinners;
  for (int i = 0; i < kSpinners; ++i)
    spinners.push_back(
        nu::make_proclet<Spinner>(nu::ProcletOptions{.node = squeezed}));
  std::vector<nu::NodeId> where(kSpinners, squeezed);
  const auto start = Clock::now();
  while (std::count(where.begin(), where.end(), squeezed) > 0 &&
         elapsed_ms(start) < 15'000)
    for (int i = 0; i < kSpinners; ++i) {
      where[i] = spinners[i].Run(&Spinner::Spin, kSpinUs);
      std::this_thread::sleep_for(std::chrono::microseconds(kSpinUs));
    }
  std::cout << "spinners-moved "
            << kSpinners - std::count(where.begin(), where.end(), squeezed)
            << " of " << kSpinners << " to-busy "
            << std::count(where.begin(), where.end(), busy) << std::endl;
}

// --- arguments: --nodes N --scenario NAME [--squeezed ID --limit BYTES
// --busy ID]

struct Args {
  std::size_t nodes = 1;
  std::string scenario;
  nu::NodeId squeezed = 0;
  std::uint64_t limit = 0;
  nu::NodeId busy = 0;
};

Args parse(int argc, char **argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--nodes")
      args.nodes = std::stoul(value);
    else if (flag == "--scenario")
      args.scenario = value;
    else if (flag == "--squeezed")
      args.squeezed = static_cast<nu::NodeId>(std::stoul(value));
    else if (flag == "--limit")
      args.limit = std::stoull(value);
    else if (flag == "--busy")
      args.busy = static_cast<nu::NodeId>(std::stoul(value));
    else
      throw std::runtime_error("bad argument '" + flag + "'");
  }
  return args;
}

int run_app(int argc, char **argv) {
  try {
    Args args = parse(argc, argv);
    auto nodes = wait_for_nodes(args.nodes);
    if (args.scenario == "chaos")
      chaos(nodes);
    else if (args.scenario == "sharded-map")
      sharded_map(nodes);
    else if (args.scenario == "memory")
      memory(args.squeezed, args.limit);
    else if (args.scenario == "squeeze")
      squeeze(args.squeezed);
    else if (args.scenario == "cpu")
      cpu(args.squeezed, args.busy);
    else
      throw std::runtime_error("unknown scenario '" + args.scenario + "'");
    std::cout << "OK " << args.scenario << std::endl;
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "FAIL: " << e.what() << std::endl;
    return 1;
  }
}

} // namespace

int main(int argc, char **argv) { return nu::main(argc, argv, run_app); }
