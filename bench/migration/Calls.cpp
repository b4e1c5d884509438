// Caller-visible disruption: latencies of paced blocking calls to a 1 MiB
// Blob, still or moved home and back every 20 ms by another thread.
#include "Moves.hpp"

#include "Proclets.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <thread>

namespace migbench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kState = std::uint64_t{1} << 20;
constexpr auto kMoveEvery = std::chrono::milliseconds(20);
constexpr auto kCallEvery = std::chrono::microseconds(200);

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Until `stop`: a Ping call every 200 us (a late call starts at once), its
/// latency recorded. Paced, so that every moment weighs the same: a call
/// served on the caller's own node takes nanoseconds and would otherwise
/// outnumber the others.
void call_loop(nu::Proclet<Blob> blob, const std::atomic<bool> &stop,
               Seconds &latency, std::exception_ptr &error) {
  try {
    auto next = Clock::now();
    while (!stop.load(std::memory_order_relaxed)) {
      std::this_thread::sleep_until(next);
      auto start = Clock::now();
      if (blob.Run(&Blob::Ping) != 1)
        throw std::runtime_error("Ping returned a wrong value");
      latency.push_back(since(start));
      next = std::max(next + kCallEvery, Clock::now());
    }
  } catch (...) {
    error = std::current_exception();
  }
}

/// Until `end`: every 20 ms, moves the blob home and back away.
void move_loop(const Nodes &nodes, nu::Proclet<Blob> &blob,
               Clock::time_point end, Seconds &pause) {
  for (auto next = Clock::now() + kMoveEvery; next < end; next += kMoveEvery) {
    std::this_thread::sleep_until(next);
    for (nu::NodeId to : {nodes.home, nodes.away})
      pause.push_back(static_cast<double>(nu::migrate(blob, to).pause.count()) /
                      1e6);
  }
}

} // namespace

CallsResult time_calls(const Nodes &nodes, double seconds, bool moving) {
  auto blob =
      nu::make_proclet<Blob>(nu::ProcletOptions{.node = nodes.away}, kState);
  for (int i = 0; i < 200; ++i) // warm-up
    blob.Run(&Blob::Ping);
  CallsResult out{moving ? "moved every 20 ms" : "no moves", {}, {}};
  std::atomic<bool> stop{false};
  std::exception_ptr error, move_error;
  auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(seconds));
  std::thread caller(call_loop, blob, std::cref(stop), std::ref(out.latency),
                     std::ref(error));
  try {
    if (moving)
      move_loop(nodes, blob, end, out.pause);
  } catch (...) {
    move_error = std::current_exception();
  }
  std::this_thread::sleep_until(end);
  stop = true;
  caller.join();
  for (const std::exception_ptr &e : {move_error, error})
    if (e)
      std::rethrow_exception(e);
  return out;
}

} // namespace migbench
