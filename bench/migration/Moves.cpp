// Timed migrations of a Blob between the benchmark's two nodes, with the
// state checked after the moves.
#include "Moves.hpp"

#include "Proclets.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace migbench {

using Clock = std::chrono::steady_clock;

Nodes find_nodes() {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    for (nu::NodeId id : nu::nodes())
      if (id != nu::this_node())
        return {nu::this_node(), id};
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("no other node joined within 10 s");
}

namespace {

void check_state(nu::Proclet<Blob> &blob, std::size_t size,
                 std::uint64_t expected) {
  std::uint64_t got_size = blob.Run(&Blob::Size);
  std::uint64_t got_sum = blob.Run(&Blob::Checksum);
  if (got_size != size || got_sum != expected)
    throw std::runtime_error(
        "state changed by migration: " + std::to_string(size) +
        " bytes moved, now " + std::to_string(got_size) + " bytes, checksum " +
        std::to_string(got_sum) + " instead of " + std::to_string(expected));
}

} // namespace

void time_moves(const Nodes &nodes, int moves, SizeResult &out) {
  auto blob = nu::make_proclet<Blob>(nu::ProcletOptions{.node = nodes.home},
                                     std::uint64_t{out.size});
  std::uint64_t expected = blob.Run(&Blob::Checksum);
  for (int i = 0; i < moves; ++i) {
    nu::NodeId to = i % 2 == 0 ? nodes.away : nodes.home;
    auto start = Clock::now();
    nu::MigrationStats stats = nu::migrate(blob, to);
    out.wall.push_back(
        std::chrono::duration<double>(Clock::now() - start).count());
    out.pause.push_back(static_cast<double>(stats.pause.count()) / 1e6);
    out.bytes = stats.bytes;
    if (stats.to != to)
      throw std::runtime_error("nu::migrate moved to the wrong node");
  }
  check_state(blob, out.size, expected);
}

} // namespace migbench
