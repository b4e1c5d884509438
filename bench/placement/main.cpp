// Cost of make_proclet with default placement (the controller's leased
// decisions) against one whose node is given, and against a placement that
// asks the controller each time (a size hint), on a real controller and
// three nodes over TCP loopback in one process. Prints the goal's ratio.
#include "Node.hpp"
#include "Service.hpp"

#include <nu/nu.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

class [[nu::proclet]] Cell {
public:
  nu::NodeId Where() { return nu::this_node(); }
};

namespace {

using Clock = std::chrono::steady_clock;
using nu::detail::Node;

/// Microseconds per make_proclet<Cell>(options(i)) over \p count proclets;
/// \p where counts the nodes they landed on.
template <class Options>
double per_proclet(int count, Options options,
                   std::map<nu::NodeId, int> &where) {
  std::vector<nu::Proclet<Cell>> cells;
  cells.reserve(count);
  auto start = Clock::now();
  for (int i = 0; i < count; ++i)
    cells.push_back(nu::make_proclet<Cell>(options(i)));
  double us =
      std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  for (auto &cell : cells)
    ++where[cell.Run(&Cell::Where)];
  return us / count;
}

std::unique_ptr<Node> start_node(const std::string &controller) {
  Node::Options o;
  o.transport = "tcp";
  o.listen_address = "127.0.0.1:0";
  o.controller = controller;
  o.workers = 1;
  return std::make_unique<Node>(o);
}

} // namespace

int main(int argc, char **argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 3000;
  nu::controller::Service service(nu::controller::ServiceOptions{});
  auto address = service.listen("127.0.0.1:0");
  if (!address)
    throw std::runtime_error(address.failure().message);
  std::vector<std::unique_ptr<Node>> nodes;
  for (int i = 0; i < 3; ++i)
    nodes.push_back(start_node(*address));
  while (nodes[0]->nodes().size() < 3)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  nu::detail::NodeScope scope(nodes[0].get());

  std::map<nu::NodeId, int> given, leased, asked;
  double given_us = per_proclet(
      count,
      [](int i) {
        return nu::ProcletOptions{.node = static_cast<nu::NodeId>(1 + i % 3)};
      },
      given);
  double leased_us = per_proclet(
      count, [](int) { return nu::ProcletOptions{}; }, leased);
  double asked_us = per_proclet(
      count, [](int) { return nu::ProcletOptions{.expected_size = 64 * 1024}; },
      asked);

  std::printf("%d proclets per case, controller and 3 nodes on TCP loopback\n",
              count);
  std::printf("%-52s %10s %10s\n", "make_proclet", "us each", "vs given");
  auto row = [&](const char *name, double us) {
    std::printf("%-52s %10.1f %9.2fx\n", name, us, us / given_us);
  };
  row("node given (.node)", given_us);
  row("default placement (leased decisions)", leased_us);
  row("size hint given (a controller round trip each)", asked_us);
  std::printf("default placement <= 2x node given: %s\n",
              leased_us <= 2 * given_us ? "MET" : "MISSED");
  std::printf("default placement spread:");
  for (auto [node, n] : leased)
    std::printf(" node %u: %d", node, n);
  std::printf("\n");
  return 0;
}
