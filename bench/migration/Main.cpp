// bench_migration: times nu::migrate against memcpy, raw TCP between the
// same two processes and restarting a process; see bench/README.md.
#include "Limits.hpp"
#include "Moves.hpp"
#include "Proclets.hpp"
#include "Report.hpp"
#include "Restart.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace {

using namespace migbench;

/// A state size and how often each of its measurements is repeated.
struct Plan {
  std::size_t size;
  int moves, restarts;
};

constexpr Plan kPlans[] = {{std::size_t{64} << 10, 50, 10},
                           {std::size_t{1} << 20, 40, 10},
                           {std::size_t{16} << 20, 16, 6},
                           {std::size_t{128} << 20, 6, 4}};

void progress(const char *what, std::size_t size) {
  std::fprintf(stderr, "bench_migration: %s, %zu bytes\n", what, size);
}

SizeResult measure_size(const Nodes &nodes, TcpClient &tcp, const Plan &p) {
  SizeResult out;
  out.size = p.size;
  progress("memcpy and raw TCP", p.size);
  out.memcpy = memcpy_seconds(p.size, p.moves);
  out.tcp = tcp_seconds(tcp, p.size, p.moves);
  progress("migrations", p.size);
  time_moves(nodes, p.moves, out);
  progress("restarts", p.size);
  out.restart = restart_seconds(p.size, p.restarts);
  return out;
}

int run(const std::string &placement, double call_seconds) {
  Results results{placement, call_seconds, {}, {}, {}};
  Nodes nodes = find_nodes();
  auto server = nu::make_proclet<TcpServer>(
      nu::ProcletOptions{.pinned = true, .node = nodes.away});
  TcpClient tcp(server.Run(&TcpServer::Start));
  results.rtt = round_trips(tcp, 5000);
  SizeResult warmup;
  warmup.size = std::size_t{64} << 10;
  time_moves(nodes, 2, warmup);
  for (const Plan &plan : kPlans)
    results.sizes.push_back(measure_size(nodes, tcp, plan));
  std::fprintf(stderr, "bench_migration: calls, still and moving\n");
  results.calls.push_back(time_calls(nodes, call_seconds, false));
  results.calls.push_back(time_calls(nodes, call_seconds, true));
  print_report(results);
  return 0;
}

int usage() {
  std::fprintf(stderr, "usage: bench_migration --nu-join HOST:PORT\n"
                       "       bench_migration --nu-controller HOST:PORT -- "
                       "[--placement NAME] [--call-seconds S]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  if (is_restart_child(argc, argv))
    return restart_child_main(argc, argv);
  return nu::main(argc, argv, [](int argc, char **argv) {
    std::string placement = "unpinned";
    double call_seconds = 4;
    int i = argc > 1 && std::string_view(argv[1]) == "--" ? 2 : 1;
    for (; i + 1 < argc; i += 2) {
      std::string_view flag = argv[i];
      if (flag == "--placement")
        placement = argv[i + 1];
      else if (flag == "--call-seconds")
        call_seconds = std::atof(argv[i + 1]);
      else
        return usage();
    }
    if (i != argc || !(call_seconds > 0))
      return usage();
    try {
      return run(placement, call_seconds);
    } catch (const std::exception &error) {
      std::fprintf(stderr, "bench_migration: error: %s\n", error.what());
      return 1;
    }
  });
}
