// The policy's pure parts (pressure with hysteresis, the pace of a fall, the
// ratio ranking) and the monitor thread that samples, moves, backs off.
#include "migrate/Monitor.hpp"

#include "ControllerLink.hpp"
#include "CpuUse.hpp"
#include "Heap.hpp"
#include "SystemInfo.hpp"
#include "migrate/Transfer.hpp"
#include "nu/log/log.hpp"

#include <algorithm>
#include <malloc.h>
#include <utility>

namespace nu::detail {
namespace {

/// A move's fixed cost: draining calls, two round trips, the controller's
/// update (measured well under a millisecond on a LAN).
constexpr double kFixedCostNs = 200'000;
/// The bandwidth assumed for the state: 1 GB/s, about what one TCP stream
/// carries on a 10 Gb/s link (and less than loopback does).
constexpr double kBytesPerNs = 1.0;
/// Failed moves per sample before the monitor backs off.
constexpr int kMaxTries = 3;
/// The wait after a move under memory pressure before sampling again
/// (the source's copy is destroyed by a worker meanwhile), and the period
/// while memory pressure lasts, if shorter than the node's.
constexpr std::chrono::milliseconds kResample{20};
/// The longest a batch of moves under memory pressure goes on before the
/// monitor samples again.
constexpr std::chrono::milliseconds kBatchTime{50};
/// Under CPU pressure, the least share of the node's CPUs that other
/// processes keep busy: a node that keeps its CPUs busy itself is not
/// relieved by moving (its proclets would compete elsewhere too).
constexpr double kOthersShare = 0.2;
/// How far ahead memory pressure looks at the rate free memory falls.
constexpr std::chrono::duration<double> kLookahead{1.5};
/// The samples FreeTrend compares.
constexpr std::chrono::milliseconds kTrendWindow{100};
/// The longest back-off when nothing can move.
constexpr std::chrono::seconds kMaxBackoff{5};
/// How long the heap released last keeps its pages for a proclet coming
/// back (under memory pressure they go back to the system at once).
constexpr std::chrono::seconds kWarmHeap{1};

/// What free memory falls by in kLookahead at its current rate: moves
/// must start that much early to be done in time.
double falling_margin(const ResourceSample &s) {
  return s.free_falling * kLookahead.count();
}

bool memory_high(const ResourceSample &s, const MonitorOptions &o) {
  return (o.mem_limit != 0 && s.rss > o.mem_limit / 10 * 9) ||
         (o.min_free != 0 &&
          static_cast<double>(s.host_free) <
              static_cast<double>(o.min_free) + falling_margin(s));
}

bool memory_relieved(const ResourceSample &s, const MonitorOptions &o) {
  return (o.mem_limit == 0 || s.rss < o.mem_limit / 10 * 8) &&
         (o.min_free == 0 ||
          static_cast<double>(s.host_free) >=
              static_cast<double>(o.min_free + o.min_free / 4) +
                  falling_margin(s));
}

/// The default sampler: /proc; the CPU use is how busy the CPUs this
/// process may run on were since the last sample, and how much of that was
/// this process's own work.
struct ProcSampler {
  CpuBusy busy;
  std::uint64_t own_before = process_cpu_ns();
  std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();

  ResourceSample operator()() {
    ResourceSample s{process_rss(), machine_load().free_memory, 0, 0};
    s.cpu = busy.read();
    std::uint64_t own = process_cpu_ns();
    auto now_at = std::chrono::steady_clock::now();
    double capacity_ns =
        std::chrono::duration<double, std::nano>(now_at - at).count() *
        static_cast<double>(busy.cpus());
    if (capacity_ns > 0)
      s.cpu_own =
          std::min(s.cpu, static_cast<double>(own - own_before) / capacity_ns);
    own_before = own;
    at = now_at;
    return s;
  }
};

/// Its CPUs are busy and other processes keep a share of them busy.
bool cpu_high(const ResourceSample &s, const MonitorOptions &o,
              Pressure previous) {
  if (o.cpu_high <= 0 || s.cpu - s.cpu_own < kOthersShare)
    return false;
  return s.cpu > o.cpu_high ||
         (previous == Pressure::cpu && s.cpu >= o.cpu_high * 0.8);
}

std::string mib(std::uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

std::string describe(Pressure p, const ResourceSample &s,
                     const MonitorOptions &o) {
  if (p == Pressure::cpu)
    return "CPU pressure (its CPUs " + std::to_string(int(s.cpu * 100)) +
           " % busy, " + std::to_string(int((s.cpu - s.cpu_own) * 100)) +
           " % by other processes)";
  std::string out = "memory pressure (RSS " + mib(s.rss);
  if (o.mem_limit != 0)
    out += " of --nu-mem-limit " + mib(o.mem_limit);
  out += ", host free " + mib(s.host_free);
  if (s.free_falling > 0)
    out += " falling " + mib(static_cast<std::uint64_t>(s.free_falling)) + "/s";
  return out + ")";
}

} // namespace

std::function<ResourceSample()> proc_sampler() { return ProcSampler(); }

double FreeTrend::add(Clock::time_point at, std::uint64_t bytes) {
  samples_.emplace_back(at, bytes);
  while (samples_.size() > 2 && at - samples_[1].first >= kTrendWindow)
    samples_.pop_front();
  return rate();
}

double FreeTrend::correct(std::uint64_t bytes) {
  if (!samples_.empty())
    samples_.back().second = bytes;
  return rate();
}

double FreeTrend::rate() const {
  if (samples_.size() < 2)
    return 0;
  return std::min(fall(samples_.front(), samples_.back()),
                  fall(samples_[samples_.size() - 2], samples_.back()));
}

double FreeTrend::fall(const Sample &from, const Sample &to) {
  double seconds = std::chrono::duration<double>(to.first - from.first).count();
  if (to.second >= from.second || seconds <= 0)
    return 0;
  return static_cast<double>(from.second - to.second) / seconds;
}

Pressure assess(const ResourceSample &s, const MonitorOptions &o,
                Pressure previous) {
  if (memory_high(s, o) ||
      (previous == Pressure::memory && !memory_relieved(s, o)))
    return Pressure::memory;
  if (cpu_high(s, o, previous))
    return Pressure::cpu;
  return Pressure::none;
}

std::uint64_t pace_bytes(const ResourceSample &s, const MonitorOptions &o,
                         std::chrono::duration<double> horizon) {
  if (o.min_free == 0)
    return 0;
  return static_cast<std::uint64_t>(s.free_falling * horizon.count());
}

double migration_time_ns(std::uint64_t bytes) {
  return kFixedCostNs + static_cast<double>(bytes) / kBytesPerNs;
}

std::uint64_t batch_bytes(std::span<const Candidate> ranked,
                          std::uint64_t pace) {
  std::uint64_t bytes = 0, use = 0;
  for (const Candidate &c : ranked) {
    if (use > 0 && use >= pace)
      break;
    bytes += c.bytes;
    use += c.use;
  }
  return bytes;
}

std::vector<Candidate>
candidates(const std::vector<Node::ProcletUsage> &usage, Pressure pressure,
           const std::unordered_map<ProcletId, std::uint64_t> &cpu_before) {
  std::vector<Candidate> out;
  for (const Node::ProcletUsage &u : usage) {
    Candidate c{u.id, u.bytes, 0};
    if (pressure == Pressure::memory) {
      c.use = u.memory();
    } else if (pressure == Pressure::cpu) {
      auto it = cpu_before.find(u.id); // a newcomer's clock started at 0
      std::uint64_t before = it == cpu_before.end() ? 0 : it->second;
      c.use = u.cpu_ns > before ? u.cpu_ns - before : 0;
    }
    out.push_back(c);
  }
  return out;
}

std::vector<Candidate> rank(std::vector<Candidate> candidates) {
  std::erase_if(candidates, [](const Candidate &c) { return c.use == 0; });
  auto ratio = [](const Candidate &c) {
    return static_cast<double>(c.use) / migration_time_ns(c.bytes);
  };
  std::sort(candidates.begin(), candidates.end(),
            [&](const Candidate &a, const Candidate &b) {
              double ra = ratio(a), rb = ratio(b);
              return ra != rb ? ra > rb : a.id < b.id;
            });
  return candidates;
}

Monitor::Monitor(Node &node, MonitorOptions options)
    : node_(node), options_(std::move(options)),
      random_(std::random_device{}()), backoff_(options_.period) {
  if (!options_.sample)
    options_.sample = proc_sampler();
  if (options_.mem_limit != 0)
    node_.set_mem_limit(options_.mem_limit);
  if (options_.period.count() > 0 || options_.chaos.count() > 0)
    thread_ = std::thread([this] { run(); });
}

Monitor::~Monitor() { stop(); }

void Monitor::stop() {
  {
    std::scoped_lock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

std::uint64_t Monitor::moves() const {
  std::scoped_lock lock(mu_);
  return moves_;
}

void Monitor::run() {
  NodeScope scope(&node_);
  const bool policy = options_.period.count() > 0;
  const bool chaos = options_.chaos.count() > 0;
  auto next_policy = Clock::now() + options_.period;
  auto next_chaos = Clock::now() + options_.chaos;
  std::unique_lock lock(mu_);
  for (;;) {
    auto wake = !chaos    ? next_policy
                : !policy ? next_chaos
                          : std::min(next_policy, next_chaos);
    if (cv_.wait_until(lock, wake, [this] { return stopping_; }))
      return;
    lock.unlock();
    auto now = Clock::now();
    if (chaos && now >= next_chaos) {
      chaos_move();
      next_chaos = Clock::now() + options_.chaos;
    }
    if (policy && now >= next_policy)
      next_policy = Clock::now() + policy_tick();
    lock.lock();
  }
}

/// A sample; under memory pressure, taken again after the allocator gave
/// back what it keeps free (memory freed but kept, such as that of proclets
/// moved out, is not pressure), unless the monitor is backing off.
ResourceSample Monitor::sample() {
  options_.mem_limit = node_.mem_limit(); // nu::set_memory_limit changes it
  ResourceSample s = options_.sample();
  s.free_falling = free_trend_.add(Clock::now(), s.host_free + s.rss);
  if (assess(s, options_, pressure_) != Pressure::memory ||
      Clock::now() < retry_at_)
    return s;
  if (HeapPool::supported())
    HeapPool::purge_all(); // jemalloc's pages kept for reuse
  else
    malloc_trim(0);
  ResourceSample trimmed = options_.sample();
  s.rss = trimmed.rss; // the CPU use stays that of the whole period
  s.host_free = trimmed.host_free;
  s.free_falling = free_trend_.correct(s.host_free + s.rss);
  return s;
}

/// One sample; under pressure, moves. Returns the wait until the next.
Monitor::Clock::duration Monitor::policy_tick() {
  node_.heaps().expire(kWarmHeap);
  ResourceSample s = sample();
  auto now = Clock::now();
  auto since_last = now - std::exchange(sampled_at_, now);
  Pressure previous = pressure_;
  pressure_ = assess(s, options_, previous);
  std::vector<Node::ProcletUsage> usage = node_.movable_proclets();
  std::vector<Candidate> ranked =
      rank(candidates(usage, pressure_, cpu_before_));
  cpu_before_.clear();
  for (const Node::ProcletUsage &u : usage)
    cpu_before_[u.id] = u.cpu_ns;
  if (pressure_ != previous) { // a new episode
    warned_ = false;
    backoff_ = options_.period;
    retry_at_ = {};
  }
  if (pressure_ == Pressure::none || now < retry_at_)
    return options_.period;
  // Under CPU pressure, one move a period: its effect shows in the next.
  std::uint64_t pace =
      pressure_ == Pressure::memory ? pace_bytes(s, options_, since_last) : 0;
  if (pace != 0 && log::get("migrate").should_log(log::Level::debug))
    log::get("migrate").debug("node {}: {}: keeping pace, {} this time",
                              node_.id(), describe(pressure_, s, options_),
                              mib(pace));
  std::string why;
  if (relieve(ranked, pace, why)) {
    backoff_ = options_.period;
    if (pressure_ == Pressure::memory)
      return std::min<Clock::duration>(kResample, options_.period);
    return options_.period;
  }
  retry_at_ = Clock::now() + backoff_;
  backoff_ = std::min<Clock::duration>(backoff_ * 2, kMaxBackoff);
  report(s, why);
  return options_.period;
}

/// Moves the best candidate that can move, then more while their use is
/// under \p pace, for at most kBatchTime; false (and why) if none moved.
/// The controller is asked once for a node with room for the batch, again
/// only when a move fails or the room it reserved is used up.
bool Monitor::relieve(const std::vector<Candidate> &ranked, std::uint64_t pace,
                      std::string &why) {
  why = "no movable proclet uses it";
  int failures = 0, count = 0;
  std::uint64_t moved = 0;
  const auto start = Clock::now();
  const auto until = start + kBatchTime;
  Clock::duration placing{};
  Destination to;
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const Candidate &c = ranked[i];
    if (failures == kMaxTries ||
        (moved > 0 && (moved >= pace || Clock::now() >= until)))
      break;
    if (to.room < c.bytes || to.room == 0) {
      auto asked = Clock::now();
      to = destination(std::span(ranked).subspan(i), pace - moved);
      placing += Clock::now() - asked;
    }
    if (to.room == 0) {
      why = "no other node has room for proclet " + std::to_string(c.id);
      failures++;
      continue;
    }
    try {
      node_.migrate(c.id, to.node);
      to.room -= c.bytes;
      moved += c.use;
      count++;
      std::scoped_lock lock(mu_);
      moves_++;
    } catch (const std::exception &e) {
      why = e.what();
      failures++;
      to = {};
    }
  }
  if (count > 1)
    log::get("migrate").debug(
        "node {}: {} moves in {} us, {} us of it placing them", node_.id(),
        count, us(Clock::now() - start).count(), us(placing).count());
  return moved > 0;
}

/// A node with room for the batch that \p rest begins (of \p pace), else
/// for its first candidate; no room if neither.
Monitor::Destination Monitor::destination(std::span<const Candidate> rest,
                                          std::uint64_t pace) {
  ControllerLink *link = node_.link();
  if (!link)
    return {};
  auto place = [&](std::uint64_t bytes) -> Destination {
    std::optional<NodeId> to = link->place(bytes, node_.id());
    if (!to || *to == node_.id())
      return {};
    return {*to, std::max<std::uint64_t>(bytes, 1)};
  };
  const std::uint64_t batch = batch_bytes(rest, pace);
  Destination to = place(batch);
  if (to.room == 0 && batch != rest.front().bytes)
    to = place(rest.front().bytes);
  return to;
}

void Monitor::report(const ResourceSample &s, const std::string &why) {
  if (std::exchange(warned_, true))
    return;
  log::get("migrate").warn(
      "node {}: {}, but no proclet can move: {}; retrying less often",
      node_.id(), describe(pressure_, s, options_), why);
}

/// Moves a random movable proclet to a random other node; failures (it
/// is moving already, it was destroyed, the node left) are normal.
void Monitor::chaos_move() {
  std::vector<Node::ProcletUsage> usage = node_.movable_proclets();
  std::vector<NodeId> others = node_.nodes();
  std::erase(others, node_.id());
  if (usage.empty() || others.empty())
    return;
  auto pick = [this](const auto &v) {
    return v[std::uniform_int_distribution<std::size_t>(0,
                                                        v.size() - 1)(random_)];
  };
  try {
    node_.migrate(pick(usage).id, pick(others));
  } catch (const std::exception &e) {
    log::get("migrate").debug("chaos: {}", e.what());
  }
}

} // namespace nu::detail
