// The nu program of the replication e2e tests: replicated counters written
// from two threads while the test kills the node hosting them (`--scenario
// kill-primary`), one holding their backups (`kill-backup`), or server
// nodes one after the other while it starts new ones (`chaos`). Every Add
// is applied exactly once (a call the dead primary did not answer is sent
// again, and runs at most once), and a replicated method's calls to other
// proclets are made once, by the primary only.
#include "../harness/AppSupport.hpp"

#include <nu/nu.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

class [[nu::proclet]] Counter {
public:
  long Add(long n) { return value_ += n; }
  long Get() const { return value_; }

private:
  long value_ = 0;
};

// Replicated, and calls a proclet that is not: its backups must not.
class [[nu::proclet]] Relay {
public:
  Relay() = default;
  explicit Relay(nu::Proclet<Counter> sink) : sink_(std::move(sink)) {}
  long Bump() {
    sink_.Run(&Counter::Add, 1L);
    return ++bumps_;
  }
  long Bumps() const { return bumps_; }

private:
  nu::Proclet<Counter> sink_;
  long bumps_ = 0;
};

namespace {

using nu::e2e::check;
using nu::e2e::wait_for_nodes;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kCounters = 8, kThreads = 2, kAdds = 3000, kKillAt = 1000;
constexpr long kBumps = 100;

long ms_since(Clock::time_point t) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t)
          .count());
}

// What the writers saw: Adds acknowledged, and Adds that failed (they may
// or may not have run), per counter; the slowest Add.
struct Tally {
  std::vector<long> acked = std::vector<long>(kCounters, 0);
  std::vector<long> maybe = std::vector<long>(kCounters, 0);
  long slowest_ms = 0;
};

struct Shared {
  std::vector<nu::Proclet<Counter>> counters;
  std::atomic<long> acked{0};
  std::atomic<bool> kill_sent{false};
  nu::NodeId victim = 0;     // 0: none to ask for
  Clock::time_point until{}; // set: write until then, not kAdds
  std::mutex mu;
  Tally tally;
};

// kAdds acknowledged Add(1)s over this thread's counters; a failed one is
// noted and the writer goes on (after a pause).
void write(Shared &s, int t) {
  Tally mine;
  auto more = [&s](int done) {
    return s.until == Clock::time_point{} ? done < kAdds
                                          : Clock::now() < s.until;
  };
  for (int done = 0, i = 0; more(done); ++i) {
    int c = (i % (kCounters / kThreads)) * kThreads + t;
    auto start = Clock::now();
    try {
      s.counters[c].Run(&Counter::Add, 1L);
      ++mine.acked[c];
      ++done;
    } catch (const nu::Error &e) { // ProcletUnavailable, CallTimeout
      ++mine.maybe[c];
      std::this_thread::sleep_for(20ms);
    }
    mine.slowest_ms = std::max(mine.slowest_ms, ms_since(start));
    if (s.acked.fetch_add(1) + 1 == kKillAt && s.victim &&
        !s.kill_sent.exchange(true))
      std::cout << "kill " << s.victim << std::endl;
  }
  std::scoped_lock lock(s.mu);
  for (int c = 0; c < kCounters; ++c) {
    s.tally.acked[c] += mine.acked[c];
    s.tally.maybe[c] += mine.maybe[c];
  }
  s.tally.slowest_ms = std::max(s.tally.slowest_ms, mine.slowest_ms);
}

// Every acknowledged Add is there; a failed one at most once.
void check_counts(Shared &s) {
  for (int c = 0; c < kCounters; ++c) {
    long got = s.counters[c].Run(&Counter::Get);
    long least = s.tally.acked[c], most = least + s.tally.maybe[c];
    check(got >= least && got <= most,
          "counter " + std::to_string(c) + " has " + std::to_string(got) +
              ", expected " + std::to_string(least) + " to " +
              std::to_string(most));
  }
}

// Writes with two threads; prints what failed and the slowest write.
void write_all(Shared &s) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&s, t] { write(s, t); });
  for (auto &t : threads)
    t.join();
  check_counts(s);
  long maybe = 0;
  for (long m : s.tally.maybe)
    maybe += m;
  std::cout << "failed " << maybe << " slowest-ms " << s.tally.slowest_ms
            << std::endl;
}

// Counters with two backups each on the server nodes, written for 8 s
// while the test kills server nodes and starts new ones.
void chaos(const std::vector<nu::NodeId> &servers) {
  Shared s;
  for (int c = 0; c < kCounters; ++c)
    s.counters.push_back(nu::make_proclet<Counter>(nu::ProcletOptions{
        .node = servers[c % servers.size()], .replicas = 2}));
  s.until = Clock::now() + 8s;
  std::cout << "writing" << std::endl;
  write_all(s);
}

// \p primary hosts every replicated proclet; \p victim is killed.
void run(nu::NodeId primary, nu::NodeId victim) {
  auto sink =
      nu::make_proclet<Counter>(nu::ProcletOptions{.node = nu::this_node()});
  auto relay = nu::make_proclet<Relay>(
      nu::ProcletOptions{.node = primary, .replicas = 1}, sink);
  for (long i = 0; i < kBumps; ++i)
    check(relay.Run(&Relay::Bump) == i + 1, "a bump was lost");
  check(sink.Run(&Counter::Get) == kBumps,
        "the sink counted " + std::to_string(sink.Run(&Counter::Get)) +
            " bumps, not " + std::to_string(kBumps));
  Shared s;
  s.victim = victim;
  for (int c = 0; c < kCounters; ++c)
    s.counters.push_back(nu::make_proclet<Counter>(
        nu::ProcletOptions{.node = primary, .replicas = 1}));
  write_all(s);
  check(relay.Run(&Relay::Bumps) == kBumps, "the relay lost bumps");
  check(sink.Run(&Counter::Get) == kBumps,
        "the sink counted bumps again after the relay moved");
}

int run_app(int argc, char **argv) {
  try {
    check(argc == 3 && std::string(argv[1]) == "--scenario",
          "usage: app --scenario kill-primary|kill-backup|chaos");
    std::string scenario = argv[2];
    std::vector<nu::NodeId> servers;
    for (nu::NodeId n : wait_for_nodes(scenario == "chaos" ? 4 : 3))
      if (n != nu::this_node())
        servers.push_back(n);
    if (scenario == "kill-primary")
      run(servers[0], servers[0]);
    else if (scenario == "kill-backup")
      run(nu::this_node(), servers[0]);
    else if (scenario == "chaos")
      chaos(servers);
    else
      throw std::runtime_error("unknown scenario '" + scenario + "'");
    std::cout << "OK " << scenario << std::endl;
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "FAIL: " << e.what() << std::endl;
    return 1;
  }
}

} // namespace

int main(int argc, char **argv) { return nu::main(argc, argv, run_app); }
