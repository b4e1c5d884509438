// The nu program of the migration e2e tests: one scenario per `--scenario
// NAME`, each moving proclets (or having nuctl move them) and checking.
#include "proclets.hpp"
#include "support.hpp"

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

namespace {

using namespace moves;

// Threads calling Add(1) on counters (round robin) until stopped; each
// counts what it sent per counter, and the first failure is kept.
class Callers {
public:
  Callers(std::vector<nu::Proclet<Counter>> counters, int threads)
      : counters_(std::move(counters)), sent_(counters_.size()) {
    for (int t = 0; t < threads; ++t)
      threads_.emplace_back([this, t] { loop(t); });
  }
  ~Callers() { join(); }
  // Stops the threads; throws the first failure one of them saw.
  void stop() {
    join();
    std::scoped_lock lock(mu_);
    check(error_.empty(), "a call failed: " + error_);
  }
  std::int64_t sent(std::size_t counter) const { return sent_[counter]; }
  std::int64_t total() const {
    std::int64_t sum = 0;
    for (auto &s : sent_)
      sum += s;
    return sum;
  }

private:
  void join() {
    done_ = true;
    for (auto &t : threads_)
      if (t.joinable())
        t.join();
  }
  void loop(int t) {
    std::vector<nu::Proclet<Counter>> mine = counters_;
    for (std::size_t i = t; !done_; i++) {
      std::size_t c = i % mine.size();
      try {
        mine[c].Run(&Counter::Add, 1);
        ++sent_[c];
      } catch (const std::exception &e) {
        std::scoped_lock lock(mu_);
        if (error_.empty())
          error_ = e.what();
        return;
      }
    }
  }

  std::vector<nu::Proclet<Counter>> counters_;
  std::vector<std::atomic<std::int64_t>> sent_;
  std::atomic<bool> done_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::string error_;
};

// Every counter holds exactly what was sent to it, intact, and not on
// node `not_on` (0: anywhere).
void check_counters(std::vector<nu::Proclet<Counter>> &counters,
                    const Callers &callers, nu::NodeId not_on = 0) {
  for (std::size_t i = 0; i < counters.size(); ++i) {
    expect_eq(counters[i].Run(&Counter::Get), callers.sent(i),
              "value of counter " + std::to_string(counters[i].id()));
    check(counters[i].Run(&Counter::Intact), "counter state damaged");
    if (not_on)
      check(counters[i].Run(&Counter::Where) != not_on,
            "counter still on node " + std::to_string(not_on));
  }
}

// --- threads: nu::migrate over and over while four threads call.

void threads(const Context &ctx) {
  const std::size_t n = ctx.all.size();
  std::size_t at = 0; // index in ctx.all of the counter's node
  while (ctx.all[at] != ctx.remote()[0])
    ++at;
  auto counter = make_on<Counter>(ctx.all[at]);
  std::vector<nu::Proclet<Counter>> counters{counter};
  Callers callers(counters, 4);
  for (std::size_t i = 0; i < 24; ++i) {
    at = (at + 1 + i % (n - 1)) % n; // every other node in turn
    nu::MigrationStats s = nu::migrate(counter, ctx.all[at]);
    std::cout << "moved " << s.from << " -> " << s.to << ": " << s.bytes
              << " bytes, paused " << s.pause.count() << " us" << std::endl;
    expect_eq(s.to, ctx.all[at], "destination in the stats");
    expect_eq(counter.Run(&Counter::Where), ctx.all[at],
              "node after nu::migrate");
    std::this_thread::sleep_for(20ms);
  }
  callers.stop();
  check(callers.total() > 0, "no calls were made");
  check_counters(counters, callers);
  std::cout << "calls " << callers.total() << std::endl;
}

// --- nuctl-migrate: the test moves a counter with nuctl while it is called.

void nuctl_migrate(const Context &ctx) {
  auto r = ctx.remote();
  auto counter = make_on<Counter>(r[0]);
  std::vector<nu::Proclet<Counter>> counters{counter};
  Callers callers(counters, 3);
  print_flushed("READY-MIGRATE " + std::to_string(counter.id()) + " " +
                std::to_string(r[0]) + " " + std::to_string(r[1]));
  auto deadline = Clock::now() + 20s;
  while (counter.Run(&Counter::Where) != r[1]) {
    check(Clock::now() < deadline, "the counter did not move within 20 s");
    std::this_thread::sleep_for(5ms);
  }
  print_flushed("SEEN-MOVED " + std::to_string(r[1]));
  wait_for_go(); // the test lists the proclets while the process lives
  std::this_thread::sleep_for(200ms);
  callers.stop();
  check_counters(counters, callers);
  std::cout << "calls " << callers.total() << std::endl;
}

// --- drain: the test drains a server node while its counters are called,
// then stops it; idle counters (not called meanwhile) must still work.

void drain(const Context &ctx) {
  auto r = ctx.remote();
  nu::NodeId victim = r[0];
  std::vector<nu::Proclet<Counter>> busy, idle;
  for (std::size_t i = 0; i < 30; ++i)
    busy.push_back(make_on<Counter>(r[i % r.size()]));
  for (int i = 0; i < 5; ++i)
    idle.push_back(make_on<Counter>(victim, 100));
  Callers callers(busy, 3);
  print_flushed("READY-DRAIN " + std::to_string(victim));
  wait_for_go(); // drained, and the node has left
  std::this_thread::sleep_for(300ms);
  callers.stop();
  check_counters(busy, callers, victim);
  for (auto &c : idle) {
    c.Run(&Counter::Add, 1);
    expect_eq(c.Run(&Counter::Get), 101, "value of an idle counter");
    check(c.Run(&Counter::Where) != victim, "idle counter on the drained node");
  }
  std::cout << "calls " << callers.total() << std::endl;
}

// --- leave: the test drains a server node, then stops it while calls it
// relays (to counters it hosted, which this node still thinks are there)
// are running; they must all be answered.

void leave(const Context &ctx) {
  nu::NodeId victim = ctx.remote()[0];
  std::vector<nu::Proclet<Counter>> counters;
  for (int i = 0; i < 4; ++i)
    counters.push_back(make_on<Counter>(victim, 10));
  print_flushed("READY-LEAVE " + std::to_string(victim));
  wait_for_go(); // drained
  std::vector<nu::Future<void>> slow;
  for (auto &c : counters)
    slow.push_back(c.RunAsync(&Counter::Sleep, 1500));
  print_flushed("CALLING");
  for (auto &f : slow)
    f.get(); // meanwhile, the test stops the node that relays them
  for (auto &c : counters) {
    c.Run(&Counter::Add, 1);
    expect_eq(c.Run(&Counter::Get), 11, "value of a counter");
    check(c.Run(&Counter::Where) != victim, "counter on the node that left");
  }
}

// --- stop: the test stops a server node hosting idle counters (SIGTERM,
// once or twice); prints how many still answer with their value.

void stop(const Context &ctx) {
  nu::NodeId victim = ctx.remote()[0];
  std::vector<nu::Proclet<Counter>> counters;
  for (int i = 0; i < 12; ++i)
    counters.push_back(make_on<Counter>(victim, i));
  print_flushed("READY-STOP " + std::to_string(victim));
  wait_for_go(); // the node has left
  int answered = 0;
  for (int i = 0; i < 12; ++i) {
    try {
      expect_eq(counters[i].Run(&Counter::Get), i, "value of a counter");
      check(counters[i].Run(&Counter::Where) != victim, "counter on the node");
      answered++;
    } catch (const nu::ProcletUnavailable &) {
    }
  }
  std::cout << "ANSWERED " << answered << " OF 12" << std::endl;
}

// --- kill-dest: the test SIGKILLs the destination of a big move.

void kill_dest(const Context &ctx) {
  auto r = ctx.remote();
  constexpr std::uint64_t kBytes = std::uint64_t{320} << 20;
  auto blob = make_on<Blob>(r[0], kBytes);
  const std::uint64_t sum = blob.Run(&Blob::Expected);
  auto start = Clock::now();
  nu::migrate(blob, r[2]); // a big move that works, and back
  long took = elapsed_ms(start);
  nu::migrate(blob, r[0]);
  std::cout << "a move took " << took << " ms" << std::endl;
  print_flushed("READY-KILL-DEST " + std::to_string(r[1]));
  wait_for_go(); // the test watches the destination, kills it mid-transfer
  start = Clock::now();
  try {
    nu::migrate(blob, r[1]);
    throw Failure("the move to the killed node succeeded");
  } catch (const nu::Error &e) {
    std::cout << "move failed after " << elapsed_ms(start)
              << " ms: " << e.what() << std::endl;
  }
  expect_eq(blob.Run(&Blob::Where), r[0], "node of the blob after the failure");
  expect_eq(blob.Run(&Blob::Checksum), sum, "checksum of the blob");
  nu::migrate(blob, r[2]); // and it still moves
  expect_eq(blob.Run(&Blob::Checksum), sum, "checksum after a later move");
}

// --- bad-input: proclets for nuctl to refuse to move.

void bad_input(const Context &ctx) {
  auto r = ctx.remote();
  auto pinned = nu::make_proclet<Counter>(
      nu::ProcletOptions{.pinned = true, .node = r[0]}, 5);
  auto normal = make_on<Counter>(r[0], 6);
  auto doomed = make_on<Counter>(r[2], 7);
  print_flushed("READY-BAD " + std::to_string(pinned.id()) + " " +
                std::to_string(normal.id()) + " " +
                std::to_string(doomed.id()) + " " + std::to_string(r[0]) + " " +
                std::to_string(r[1]) + " " + std::to_string(r[2]));
  wait_for_go();
  expect_eq(pinned.Run(&Counter::Where), r[0], "node of the pinned counter");
  expect_eq(normal.Run(&Counter::Where), r[0], "node of the counter");
  expect_eq(pinned.Run(&Counter::Get), 5, "value of the pinned counter");
  expect_eq(normal.Run(&Counter::Get), 6, "value of the counter");
}

const Scenarios kScenarios = {
    {"threads", threads}, {"nuctl-migrate", nuctl_migrate},
    {"drain", drain},     {"kill-dest", kill_dest},
    {"leave", leave},     {"bad-input", bad_input},
    {"stop", stop},
};

} // namespace

int main(int argc, char **argv) {
  return nu::main(argc, argv, [](int argc, char **argv) {
    return moves::run(argc, argv, kScenarios);
  });
}
