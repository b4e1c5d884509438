// The replication benchmark (the paper's Figure 14): calls/s to many
// proclets with one backup each against the same proclets without, at
// several compute intensities, in one run; run by bench/replication/run.sh
// on a controller, two server nodes and this main node.
#include <nu/nu.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

class [[nu::proclet]] Worker {
public:
  /// Spins \p loops iterations (deterministic: a backup repeats it).
  std::uint64_t Work(std::uint64_t loops) {
    std::uint64_t x = state_;
    for (std::uint64_t i = 0; i < loops; ++i)
      x = x * 6364136223846793005ull + 1442695040888963407ull;
    state_ = x;
    return x;
  }

private:
  std::uint64_t state_ = 1;
};

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::size_t proclets = 8192;
  double seconds = 2;
  unsigned inflight = 32; // per client thread; two threads
  std::vector<double> intensities{0.1, 1, 10, 20, 30};
};

Args parse(int argc, char **argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--proclets")
      a.proclets = std::stoul(value);
    else if (flag == "--seconds")
      a.seconds = std::stod(value);
    else if (flag == "--inflight")
      a.inflight = static_cast<unsigned>(std::stoul(value));
    else
      throw std::runtime_error("bad argument '" + flag + "'");
  }
  return a;
}

/// Loops of Worker::Work per microsecond on this machine.
double loops_per_us() {
  Worker w;
  const std::uint64_t loops = 50'000'000;
  auto start = Clock::now();
  volatile std::uint64_t sink = w.Work(loops);
  (void)sink;
  std::chrono::duration<double, std::micro> took = Clock::now() - start;
  return static_cast<double>(loops) / took.count();
}

/// Calls/s of Work(loops) over \p workers, two threads each keeping
/// \p inflight calls in flight for \p seconds.
double throughput(std::vector<nu::Proclet<Worker>> &workers,
                  std::uint64_t loops, const Args &a) {
  std::atomic<std::uint64_t> done{0};
  auto until = Clock::now() + std::chrono::duration<double>(a.seconds);
  auto client = [&](unsigned t) {
    std::vector<nu::Future<std::uint64_t>> window;
    std::size_t next = t;
    while (Clock::now() < until) {
      while (window.size() < a.inflight) {
        window.push_back(
            workers[next % workers.size()].RunAsync(&Worker::Work, loops));
        next += 2;
      }
      for (auto &f : window)
        f.get();
      done += window.size();
      window.clear();
    }
  };
  auto start = Clock::now();
  std::thread t0(client, 0), t1(client, 1);
  t0.join();
  t1.join();
  std::chrono::duration<double> took = Clock::now() - start;
  return static_cast<double>(done.load()) / took.count();
}

std::vector<nu::Proclet<Worker>>
make_workers(std::size_t n, unsigned replicas,
             const std::vector<nu::NodeId> &on) {
  std::vector<nu::Proclet<Worker>> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(nu::make_proclet<Worker>(
        nu::ProcletOptions{.node = on[i % on.size()], .replicas = replicas}));
  return out;
}

int run(int argc, char **argv) {
  Args a = parse(argc, argv);
  std::vector<nu::NodeId> servers;
  for (nu::NodeId n : nu::nodes())
    if (n != nu::this_node())
      servers.push_back(n);
  if (servers.size() < 2)
    throw std::runtime_error("needs two server nodes");
  double per_us = loops_per_us();
  auto plain = make_workers(a.proclets, 0, servers);
  auto replicated = make_workers(a.proclets, 1, servers);
  std::printf("%zu proclets on 2 server nodes, 2 client threads x %u calls "
              "in flight, %.1f s per case\n",
              a.proclets, a.inflight, a.seconds);
  std::printf("%-12s %16s %16s %8s\n", "compute(us)", "plain calls/s",
              "replicated", "ratio");
  for (double us : a.intensities) {
    auto loops = static_cast<std::uint64_t>(us * per_us);
    double p = throughput(plain, loops, a);
    double r = throughput(replicated, loops, a);
    std::printf("%-12.1f %16.0f %16.0f %7.0f%%\n", us, p, r, 100 * r / p);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  return nu::main(argc, argv, [](int argc, char **argv) {
    try {
      return run(argc, argv);
    } catch (const std::exception &e) {
      std::cerr << "bench_replication: " << e.what() << "\n";
      return 1;
    }
  });
}
