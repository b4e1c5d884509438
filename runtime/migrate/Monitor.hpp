// The migration policy: a node's monitor thread moves proclets away while
// memory or CPU is short; and the chaos trigger for tests.
#pragma once

#include "Node.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace nu::detail {

/// What the monitor reads at each sample.
struct ResourceSample {
  std::uint64_t rss = 0;       ///< this process's resident memory, bytes
  std::uint64_t host_free = 0; ///< MemAvailable, capped by the cgroup's room
  double cpu = 0; ///< how busy this node's CPUs were since the last, 0..1
  /// How much of them this process kept busy, 0..cpu.
  double cpu_own = 0;
  /// Bytes per second host_free fell lately for other reasons than this
  /// process's own use (0 if it did not): the monitor works it out from
  /// host_free + rss at the samples before (FreeTrend).
  double free_falling = 0;
};

/// How fast a quantity of memory falls, in bytes per second (0 if it
/// rose): the slower of its fall over the samples of the last 100 ms and
/// its fall since the sample before the newest (so a fall that stops shows
/// at once).
class FreeTrend {
public:
  using Clock = std::chrono::steady_clock;
  /// Adds a sample; returns the rate with it.
  double add(Clock::time_point at, std::uint64_t bytes);
  /// Replaces the newest sample (read again after the allocator gave pages
  /// back); returns the rate.
  double correct(std::uint64_t bytes);

private:
  using Sample = std::pair<Clock::time_point, std::uint64_t>;
  double rate() const;
  static double fall(const Sample &from, const Sample &to);
  std::deque<Sample> samples_;
};

struct MonitorOptions {
  /// How often the policy samples (0: no policy, only chaos).
  std::chrono::milliseconds period{100};
  /// Memory this node may use (0: none): pressure above 90 %, relieved
  /// below 80 %.
  std::uint64_t mem_limit = 0;
  /// Host free memory to keep (0: not watched): pressure below it, or
  /// when it is falling so fast that it will be within 1.5 s; relieved
  /// at 125 % of it (plus 1.5 s of the fall).
  std::uint64_t min_free = 64ull << 20;
  /// How busy this node's CPUs (its affinity) may be, a fraction, before
  /// proclets move (0: not watched); relieved below 80 % of it.
  double cpu_high = 0;
  /// Every this often, a random proclet moves to a random node (0: off).
  std::chrono::milliseconds chaos{0};
  /// Reads memory and CPU (empty: /proc and the process's CPU clock).
  std::function<ResourceSample()> sample;
};

/// Which resource is short.
enum class Pressure { none, memory, cpu };

/// The pressure a sample shows, given the pressure at the previous one
/// (the thresholds have hysteresis). Memory comes before CPU.
Pressure assess(const ResourceSample &s, const MonitorOptions &o,
                Pressure previous);

/// What a node under memory pressure moves in one batch, beyond its first
/// move: what free memory falls by, at its current rate, over \p horizon
/// (the time since the previous sample: as long as the next will likely
/// take), so that moves keep pace with a fall; 0 if min_free is not
/// watched.
std::uint64_t pace_bytes(const ResourceSample &s, const MonitorOptions &o,
                         std::chrono::duration<double> horizon);

/// The sampler used unless MonitorOptions::sample is set: /proc, the CPUs
/// this process may run on, and its own CPU time, since its previous call.
std::function<ResourceSample()> proc_sampler();

/// A proclet the policy may move: its state size and its use of the
/// resource that is short.
struct Candidate {
  ProcletId id = 0;
  std::uint64_t bytes = 0;
  std::uint64_t use = 0;
};

/// Estimated time to migrate \p bytes of state: a fixed cost plus the
/// bytes at an assumed bandwidth, in nanoseconds.
double migration_time_ns(std::uint64_t bytes);

/// The state bytes of a batch of moves: the candidates of \p ranked, in
/// order, until their use reaches \p pace (at least the first).
std::uint64_t batch_bytes(std::span<const Candidate> ranked,
                          std::uint64_t pace);

/// The candidates under \p pressure: memory use is the state size, CPU use
/// the CPU time since the previous sample (\p cpu_before, by id).
std::vector<Candidate>
candidates(const std::vector<Node::ProcletUsage> &usage, Pressure pressure,
           const std::unordered_map<ProcletId, std::uint64_t> &cpu_before);

/// The candidates best first by use / estimated migration time (the Nu
/// paper's ratio), ties by id; those with no use are left out.
std::vector<Candidate> rank(std::vector<Candidate> candidates);

/// Runs the policy and the chaos trigger for one node on a thread of its
/// own, from construction until stop() or destruction (before the node's).
class Monitor {
public:
  Monitor(Node &node, MonitorOptions options);
  ~Monitor();
  Monitor(const Monitor &) = delete;
  Monitor &operator=(const Monitor &) = delete;

  /// Stops the thread after the move in progress, if any; idempotent.
  void stop();
  /// Proclets the policy moved away so far (not counting chaos).
  std::uint64_t moves() const;

private:
  using Clock = std::chrono::steady_clock;

  void run();
  ResourceSample sample();
  Clock::duration policy_tick();
  /// Where a batch's moves go, and the room reserved there not yet used.
  struct Destination {
    NodeId node = 0;
    std::uint64_t room = 0;
  };

  bool relieve(const std::vector<Candidate> &ranked, std::uint64_t pace,
               std::string &why);
  Destination destination(std::span<const Candidate> rest, std::uint64_t pace);
  void report(const ResourceSample &s, const std::string &why);
  void chaos_move();

  Node &node_;
  MonitorOptions options_;
  std::mt19937_64 random_;

  // Policy state, used by the monitor thread only.
  Pressure pressure_ = Pressure::none;
  std::unordered_map<ProcletId, std::uint64_t> cpu_before_;
  FreeTrend free_trend_;
  Clock::time_point sampled_at_ = Clock::now();
  Clock::time_point retry_at_{};
  Clock::duration backoff_{};
  bool warned_ = false;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::uint64_t moves_ = 0;
  std::thread thread_;
};

} // namespace nu::detail
