// nu's side of the RPC benchmark: Add(int, int) on a proclet placed on the
// other node, blocking (1 in flight) or pipelined with RunAsync (N > 1).
#include "Driver.hpp"

#include <nu/nu.hpp>

#include <deque>
#include <stdexcept>

class [[nu::proclet]] Adder {
public:
  int Add(int A, int B) { return A + B; }
};

namespace {

/// Waits until another node has joined and returns it.
nu::NodeId other_node() {
  auto deadline = rpcbench::Clock::now() + std::chrono::seconds(10);
  while (rpcbench::Clock::now() < deadline) {
    for (nu::NodeId id : nu::nodes())
      if (id != nu::this_node())
        return id;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("no other node joined within 10 s");
}

void check(int sum) {
  if (sum != 3)
    throw std::runtime_error("wrong sum " + std::to_string(sum));
}

int run(const rpcbench::ClientOptions &options) {
  auto adder =
      nu::make_proclet<Adder>(nu::ProcletOptions{.node = other_node()});
  if (options.inflight == 1)
    return rpcbench::run_blocking("nu", options, [&](int) {
      return [&] { check(adder.Run(&Adder::Add, 1, 2)); };
    });
  std::deque<nu::Future<int>> futures;
  return rpcbench::run_pipelined(
      "nu", options,
      [&] { futures.push_back(adder.RunAsync(&Adder::Add, 1, 2)); },
      [&] {
        check(futures.front().get());
        futures.pop_front();
      });
}

} // namespace

int main(int argc, char **argv) {
  return nu::main(argc, argv, [](int argc, char **argv) {
    int first = argc > 1 && std::string_view(argv[1]) == "--" ? 2 : 1;
    auto options = rpcbench::parse_client_flags(argc, argv, first);
    if (!options) {
      std::fprintf(stderr, "usage: bench_rpc_nu --nu-join HOST:PORT\n"
                           "       bench_rpc_nu --nu-controller HOST:PORT -- "
                           "[--inflight N] [--seconds S]\n");
      return 2;
    }
    return rpcbench::guarded_main([&] { return run(*options); });
  });
}
