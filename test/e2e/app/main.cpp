// The nu program of the multi-node e2e tests: proclet classes and one
// scenario per `--scenario NAME`, each checking its own results.
#include <nu/nu.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

// Live instances of Counter and Holder in this process (node).
[[nu::node_local]] std::atomic<int> live_counters{0};
[[nu::node_local]] std::atomic<int> live_holders{0};

class [[nu::proclet]] Counter {
public:
  explicit Counter(int start = 0) : value_(start) { ++live_counters; }
  ~Counter() { --live_counters; }
  void Add(int n) {
    std::scoped_lock lock(mu_);
    value_ += n;
  }
  int Get() const {
    std::scoped_lock lock(mu_);
    return value_;
  }
  nu::NodeId Where() const { return nu::this_node(); }
  void Sleep(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }

private:
  mutable std::mutex mu_;
  int value_;
};

// Its Boom always throws; Ping shows it still works afterwards.
class [[nu::proclet]] Thrower {
public:
  int Boom() { throw std::runtime_error("boom"); }
  int Ping() { return ++pings_; }

private:
  std::atomic<int> pings_{0};
};

// Keeps handles to counters in its state and calls them.
class [[nu::proclet]] Holder {
public:
  Holder() { ++live_holders; }
  ~Holder() { --live_holders; }
  void Hold(nu::Proclet<Counter> c) {
    std::scoped_lock lock(mu_);
    held_.push_back(std::move(c));
  }
  int AddToAll(int n) {
    auto held = snapshot();
    for (auto &c : held)
      c.Run(&Counter::Add, n);
    return static_cast<int>(held.size());
  }
  int Sum() {
    int sum = 0;
    for (auto &c : snapshot())
      sum += c.Run(&Counter::Get);
    return sum;
  }
  void Drop() {
    std::vector<nu::Proclet<Counter>> gone;
    std::scoped_lock lock(mu_);
    gone.swap(held_);
  }

private:
  std::vector<nu::Proclet<Counter>> snapshot() {
    std::scoped_lock lock(mu_);
    return held_;
  }

  std::mutex mu_;
  std::vector<nu::Proclet<Counter>> held_;
};

// Pinned on one node; closures run on it read that node's live counts.
class [[nu::proclet]] Probe {
public:
  Probe() : home_(nu::this_node()) {}
  nu::NodeId Home() const { return home_; }

private:
  nu::NodeId home_;
};

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A result that is not what the scenario expected.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(bool ok, const std::string &what) {
  if (!ok)
    throw Failure(what);
}

template <class A, class B>
void expect_eq(const A &actual, const B &expected, const std::string &what) {
  if (actual == expected)
    return;
  std::ostringstream out;
  out << what << ": got " << actual << ", expected " << expected;
  throw Failure(out.str());
}

long elapsed_ms(Clock::time_point start) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                            start)
          .count());
}

// The nodes a scenario places proclets on.
struct Context {
  std::vector<nu::NodeId> all; // sorted
  nu::NodeId self = 0;
  // Every node but this one (this one alone in a single process).
  std::vector<nu::NodeId> remote() const {
    std::vector<nu::NodeId> out;
    for (nu::NodeId n : all)
      if (n != self)
        out.push_back(n);
    return out.empty() ? std::vector<nu::NodeId>{self} : out;
  }
};

template <class T, class... A>
nu::Proclet<T> make_on(nu::NodeId node, A... args) {
  return nu::make_proclet<T>(nu::ProcletOptions{.node = node}, args...);
}

nu::Proclet<Counter> counter_on(nu::NodeId node, int start) {
  auto c = make_on<Counter>(node, start);
  expect_eq(c.Run(&Counter::Where), node, "node of a new counter");
  return c;
}

void wait_for_go() {
  std::string line;
  check(static_cast<bool>(std::getline(std::cin, line)),
        "stdin ended before 'go'");
  expect_eq(line, std::string("go"), "line read from stdin");
}

void print_flushed(const std::string &line) { std::cout << line << std::endl; }

// --- accumulator: examples/accumulator with both proclets remote.

void accumulator(const Context &ctx) {
  auto r = ctx.remote();
  auto p1 = counter_on(r[0], 10);
  auto p2 = counter_on(r[1 % r.size()], 10);
  int first = p1.Run(&Counter::Get);
  std::cout << first << "\n";
  int second = p1.Run(+[](Counter &a) {
    a.Add(5);
    return a.Get();
  });
  std::cout << second << "\n";
  auto f1 = p1.RunAsync(&Counter::Get);
  auto f2 = p2.RunAsync(&Counter::Get);
  int third = f1.get() + f2.get();
  std::cout << third << "\n";
  p1.Run(
      +[](Counter &a, nu::Proclet<Counter> p) { a.Add(p.Run(&Counter::Get)); },
      p2);
  expect_eq(first, 10, "first Get");
  expect_eq(second, 15, "Get after Add(5)");
  expect_eq(third, 25, "sum of the async Gets");
  expect_eq(p1.Run(&Counter::Get), 25, "Get after adding p2's value");
}

// --- nested: make_proclet inside a closure, on node A, for node B.

using NestedResult = std::tuple<int, nu::NodeId, nu::NodeId>;

NestedResult create_inside(nu::NodeId a, nu::NodeId b, int start) {
  auto outer = make_on<Counter>(a, 0);
  return outer.Run(
      +[](Counter &, nu::NodeId where, int value) {
        auto inner =
            nu::make_proclet<Counter>(nu::ProcletOptions{.node = where}, value);
        inner.Run(&Counter::Add, 5);
        return NestedResult(inner.Run(&Counter::Get), nu::this_node(),
                            inner.Run(&Counter::Where));
      },
      b, start);
}

void nested(const Context &ctx) {
  int start = 1000;
  for (nu::NodeId a : ctx.all)
    for (nu::NodeId b : ctx.all) {
      auto [value, ran_on, inner_on] = create_inside(a, b, ++start);
      std::cout << "nested " << a << " -> " << b << ": " << value << "\n";
      expect_eq(value, start + 5, "value of the inner proclet");
      expect_eq(ran_on, a, "node the closure ran on");
      expect_eq(inner_on, b, "node of the inner proclet");
    }
}

// --- handles: A calls B with a handle to C, for every A, B, C.

int call_through(nu::Proclet<Counter> a, nu::Proclet<Counter> b,
                 nu::Proclet<Counter> c) {
  return a.Run(
      +[](Counter &, nu::Proclet<Counter> via, nu::Proclet<Counter> target) {
        return via.Run(
            +[](Counter &, nu::Proclet<Counter> t) {
              t.Run(&Counter::Add, 1);
              return t.Run(&Counter::Get);
            },
            target);
      },
      b, c);
}

void give_to_holder(nu::Proclet<Counter> a, nu::Proclet<Holder> h,
                    nu::Proclet<Counter> c) {
  a.Run(
      +[](Counter &, nu::Proclet<Holder> holder, nu::Proclet<Counter> t) {
        holder.Run(&Holder::Hold, t);
      },
      h, c);
}

void check_returned_handles(std::vector<nu::Proclet<Counter>> &counters) {
  for (auto &a : counters)
    for (auto &c : counters) {
      auto back = a.Run(
          +[](Counter &, nu::Proclet<Counter> t) { return t; }, c);
      check(back == c, "a handle returned by a closure names its proclet");
    }
}

void handles(const Context &ctx) {
  std::vector<nu::Proclet<Counter>> counters;
  std::vector<nu::Proclet<Holder>> holders;
  for (nu::NodeId n : ctx.all) {
    counters.push_back(counter_on(n, 0));
    holders.push_back(make_on<Holder>(n));
  }
  std::size_t n = counters.size();
  std::vector<int> expected(n, 0);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b)
      for (std::size_t c = 0; c < n; ++c) {
        int v = call_through(counters[a], counters[b], counters[c]);
        expect_eq(v, ++expected[c], "counter reached through two nodes");
        give_to_holder(counters[a], holders[b], counters[c]);
      }
  int total = 0;
  for (std::size_t c = 0; c < n; ++c)
    total += expected[c];
  for (std::size_t b = 0; b < n; ++b)
    expect_eq(holders[b].Run(&Holder::Sum), static_cast<int>(n) * total,
              "sum of a holder's counters");
  check_returned_handles(counters);
  std::cout << "handles: " << n * n * n << " relayed calls, holders hold "
            << n * n << " handles each, sum " << static_cast<int>(n) * total
            << "\n";
}

// --- async: 20,000 outstanding RunAsync calls on 200 counters.

void async_calls(const Context &ctx) {
  constexpr int kCounters = 200, kCalls = 20000;
  std::vector<nu::Proclet<Counter>> counters;
  for (int i = 0; i < kCounters; ++i)
    counters.push_back(make_on<Counter>(ctx.all[i % ctx.all.size()], 0));
  std::vector<nu::Future<void>> adds;
  adds.reserve(kCalls);
  for (int i = 0; i < kCalls; ++i)
    adds.push_back(counters[i % kCounters].RunAsync(&Counter::Add, 1));
  for (auto &f : adds)
    f.get();
  std::vector<nu::Future<int>> gets;
  for (auto &c : counters)
    gets.push_back(c.RunAsync(&Counter::Get));
  int total = 0;
  for (auto &f : gets) {
    int v = f.get();
    expect_eq(v, kCalls / kCounters, "count of one counter");
    total += v;
  }
  std::cout << "async total " << total << "\n";
  expect_eq(total, kCalls, "total count");
}

// --- exceptions: a remote std::runtime_error("boom") reaches the caller.

void expect_boom(const std::function<void()> &call, const std::string &how) {
  try {
    call();
  } catch (const nu::RemoteError &e) {
    check(e.type_name().find("runtime_error") != std::string::npos,
          how + ": type_name '" + e.type_name() + "' lacks runtime_error");
    expect_eq(std::string(e.what()), std::string("boom"), how + ": what()");
    return;
  }
  throw Failure(how + ": no nu::RemoteError");
}

void exceptions(const Context &ctx) {
  for (nu::NodeId n : ctx.remote()) {
    auto t = make_on<Thrower>(n);
    expect_boom([&] { t.Run(&Thrower::Boom); }, "Run");
    expect_boom([&] { t.RunAsync(&Thrower::Boom).get(); }, "RunAsync");
    expect_boom(
        [&] {
          t.Run(+[](Thrower &) -> int { throw std::runtime_error("boom"); });
        },
        "closure");
    expect_eq(t.Run(&Thrower::Ping), 1, "Ping after the exceptions");
    std::cout << "exceptions on node " << n << ": caught boom 3 times\n";
  }
}

// --- lifetime: thousands of counters, held and passed around, all freed.

using LiveCounts = std::pair<int, int>; // counters, holders

LiveCounts live_on(nu::Proclet<Probe> &probe) {
  return probe.Run(+[](Probe &) {
    return LiveCounts(live_counters.load(), live_holders.load());
  });
}

std::vector<LiveCounts> live_counts(std::vector<nu::Proclet<Probe>> &probes) {
  std::vector<LiveCounts> out;
  for (auto &p : probes)
    out.push_back(live_on(p));
  return out;
}

LiveCounts total(const std::vector<LiveCounts> &counts) {
  LiveCounts sum{0, 0};
  for (auto [c, h] : counts) {
    sum.first += c;
    sum.second += h;
  }
  return sum;
}

void print_live(const Context &ctx, const std::vector<LiveCounts> &counts) {
  for (std::size_t i = 0; i < counts.size(); ++i)
    std::cout << "live on node " << ctx.all[i]
              << ": counters=" << counts[i].first
              << " holders=" << counts[i].second << "\n";
}

// Each counter goes to a holder on the next node, and every third one on
// through a closure run on that holder to the holder after it.
void spread(std::vector<nu::Proclet<Counter>> &counters,
            std::vector<nu::Proclet<Holder>> &holders) {
  std::vector<nu::Future<void>> pending;
  std::size_t n = holders.size();
  for (std::size_t i = 0; i < counters.size(); ++i) {
    auto &h = holders[(i + 1) % n];
    pending.push_back(h.RunAsync(&Holder::Hold, counters[i]));
    if (i % 3 == 0)
      pending.push_back(h.RunAsync(
          +[](Holder &, nu::Proclet<Counter> c, nu::Proclet<Holder> next) {
            next.Run(&Holder::Hold, c);
          },
          counters[i], holders[(i + 2) % n]));
  }
  for (auto &f : pending)
    f.get();
}

bool wait_until_freed(std::vector<nu::Proclet<Probe>> &probes,
                      std::vector<LiveCounts> &counts) {
  auto deadline = Clock::now() + 10s;
  for (;;) {
    counts = live_counts(probes);
    if (total(counts) == LiveCounts{0, 0})
      return true;
    if (Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(50ms);
  }
}

std::vector<nu::Proclet<Probe>> make_probes(const Context &ctx) {
  std::vector<nu::Proclet<Probe>> probes;
  for (nu::NodeId n : ctx.all) {
    probes.push_back(
        nu::make_proclet<Probe>(nu::ProcletOptions{.pinned = true, .node = n}));
    expect_eq(probes.back().Run(&Probe::Home), n, "node of a probe");
  }
  return probes;
}

// Every holder adds 1 to its counters; the handles and instances add up.
void check_held(const Context &ctx, std::vector<nu::Proclet<Probe>> &probes,
                std::vector<nu::Proclet<Holder>> &holders, int counters) {
  int held = 0;
  for (auto &h : holders)
    held += h.Run(&Holder::AddToAll, 1);
  expect_eq(held, counters + (counters + 2) / 3, "handles held");
  auto live = live_counts(probes);
  print_live(ctx, live);
  expect_eq(total(live).first, counters, "live counters before dropping");
  expect_eq(total(live).second, static_cast<int>(ctx.all.size()),
            "live holders before dropping");
}

void lifetime(const Context &ctx) {
  constexpr int kCounters = 3000;
  auto probes = make_probes(ctx);
  {
    std::vector<nu::Proclet<Holder>> holders;
    for (nu::NodeId n : ctx.all)
      holders.push_back(make_on<Holder>(n));
    std::vector<nu::Proclet<Counter>> counters;
    for (int i = 0; i < kCounters; ++i)
      counters.push_back(make_on<Counter>(ctx.all[i % ctx.all.size()], 0));
    spread(counters, holders);
    check_held(ctx, probes, holders, kCounters);
    for (auto &h : holders)
      h.Run(&Holder::Drop);
  } // the last handles to counters and holders go here
  std::vector<LiveCounts> after;
  bool freed = wait_until_freed(probes, after);
  print_live(ctx, after);
  check(freed, "counters or holders still live 10 s after the last handle");
}

// --- kill-wait: a call to a proclet on a SIGKILLed node.

void kill_wait(const Context &ctx) {
  check(ctx.all.size() > 1, "kill-wait needs a node besides this one");
  nu::NodeId victim = ctx.remote().back();
  auto doomed = counter_on(victim, 0);
  doomed.Run(&Counter::Add, 1);
  expect_eq(doomed.Run(&Counter::Get), 1, "counter on the doomed node");
  std::vector<nu::Proclet<Counter>> survivors;
  for (nu::NodeId n : ctx.all)
    if (n != victim)
      survivors.push_back(counter_on(n, 0));
  // In flight when the node dies: its connection closes mid-call.
  auto mid_call = doomed.RunAsync(&Counter::Sleep, 60'000);
  print_flushed("READY-TO-KILL " + std::to_string(victim));
  wait_for_go();
  auto start = Clock::now();
  try {
    mid_call.get();
    throw Failure("a call in flight to the killed node returned");
  } catch (const nu::ProcletUnavailable &e) {
    std::cout << "unavailable mid-call: " << e.what() << "\n";
  }
  try {
    doomed.Run(&Counter::Get);
    throw Failure("a call to a proclet on the killed node returned");
  } catch (const nu::ProcletUnavailable &e) {
    std::cout << "unavailable: " << e.what() << "\n";
  }
  print_flushed("elapsed-ms " + std::to_string(elapsed_ms(start)));
  for (auto &s : survivors) {
    s.Run(&Counter::Add, 1);
    expect_eq(s.Run(&Counter::Get), 1, "counter on a surviving node");
  }
}

// --- controller-restart: calls while it is down, creation once it is back.

template <class F> auto retry_for(std::chrono::seconds limit, F make) {
  auto deadline = Clock::now() + limit;
  for (bool reported = false;; reported = true) {
    try {
      return make();
    } catch (const std::exception &e) {
      if (Clock::now() >= deadline)
        throw;
      if (!reported)
        std::cerr << "nu_e2e_app: retrying: " << e.what() << std::endl;
      std::this_thread::sleep_for(100ms);
    }
  }
}

void add_and_expect(std::vector<nu::Proclet<Counter>> &counters, int value,
                    const std::string &what) {
  for (auto &c : counters) {
    c.Run(&Counter::Add, 1);
    expect_eq(c.Run(&Counter::Get), value, what);
  }
}

void controller_restart(const Context &ctx) {
  std::vector<nu::Proclet<Counter>> old;
  for (nu::NodeId n : ctx.all)
    old.push_back(counter_on(n, 0));
  add_and_expect(old, 1, "counter before the restart");
  print_flushed("READY-RESTART");
  wait_for_go();
  add_and_expect(old, 2, "counter while the controller is down");
  print_flushed("CALLS-OK-WHILE-DOWN");
  wait_for_go();
  std::vector<nu::Proclet<Counter>> fresh;
  for (nu::NodeId n : ctx.all)
    fresh.push_back(retry_for(10s, [n] { return counter_on(n, 0); }));
  for (std::size_t i = 0; i < ctx.all.size(); ++i) // placed by the runtime
    fresh.push_back(retry_for(10s, [] { return nu::make_proclet<Counter>(); }));
  add_and_expect(fresh, 1, "counter created after the restart");
  add_and_expect(old, 3, "counter after the restart");
  std::cout << "created " << fresh.size() << " counters after the restart\n";
}

// --- the app: arguments, waiting for the nodes, running a scenario.

const std::map<std::string, void (*)(const Context &)> kScenarios = {
    {"accumulator", accumulator}, {"nested", nested},
    {"handles", handles},         {"async", async_calls},
    {"exceptions", exceptions},   {"lifetime", lifetime},
    {"kill-wait", kill_wait},     {"controller-restart", controller_restart},
};

struct Args {
  std::size_t nodes = 1;
  std::string scenario;
};

int usage(const std::string &message) {
  std::cerr << "nu_e2e_app: " << message
            << "\nusage: nu_e2e_app [--nodes N] --scenario NAME\n";
  return 2;
}

std::optional<Args> parse(int argc, char **argv, std::string &error) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if ((flag != "--nodes" && flag != "--scenario") || i + 1 == argc) {
      error = "bad argument '" + flag + "'";
      return std::nullopt;
    }
    std::string value = argv[++i];
    if (flag == "--nodes")
      args.nodes = std::stoul(value);
    else
      args.scenario = value;
  }
  if (!kScenarios.count(args.scenario)) {
    error = "unknown scenario '" + args.scenario + "'";
    return std::nullopt;
  }
  return args;
}

std::optional<Context> wait_for_nodes(std::size_t count) {
  auto deadline = Clock::now() + 10s;
  for (;;) {
    auto all = nu::nodes();
    if (all.size() >= count)
      return Context{all, nu::this_node()};
    if (Clock::now() >= deadline) {
      std::cerr << "nu_e2e_app: only " << all.size() << " of " << count
                << " nodes joined within 10 s\n";
      return std::nullopt;
    }
    std::this_thread::sleep_for(20ms);
  }
}

// nu::nodes() is sorted, without duplicates, and has this node.
void check_nodes(const Context &ctx) {
  std::ostringstream list;
  for (nu::NodeId n : ctx.all)
    list << " " << n;
  std::cout << "nodes:" << list.str() << " (this one " << ctx.self << ")"
            << std::endl;
  check(std::adjacent_find(ctx.all.begin(), ctx.all.end(),
                           std::greater_equal<>()) == ctx.all.end(),
        "nu::nodes() is not sorted or repeats a node:" + list.str());
  check(std::count(ctx.all.begin(), ctx.all.end(), ctx.self) == 1,
        "nu::nodes() lacks this node");
}

int run_scenario(const std::string &name, const Context &ctx) {
  std::cout << "scenario " << name << std::endl;
  try {
    check_nodes(ctx);
    kScenarios.at(name)(ctx);
  } catch (const nu::RemoteError &e) {
    std::cerr << "FAIL " << name << ": nu::RemoteError " << e.type_name()
              << ": " << e.what() << std::endl;
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "FAIL " << name << ": " << e.what() << std::endl;
    return 1;
  }
  std::cout << "OK " << name << std::endl;
  return 0;
}

int run_app(int argc, char **argv) {
  std::string error;
  auto args = parse(argc, argv, error);
  if (!args)
    return usage(error);
  auto ctx = wait_for_nodes(args->nodes);
  if (!ctx)
    return 3;
  return run_scenario(args->scenario, *ctx);
}

} // namespace

int main(int argc, char **argv) { return nu::main(argc, argv, run_app); }
