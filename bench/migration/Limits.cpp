// memcpy and raw TCP timings for the migration benchmark's "physical
// limits" columns.
#include "Limits.hpp"

#include "State.hpp"

#include <chrono>
#include <cstring>

namespace migbench {

Seconds memcpy_seconds(std::size_t bytes, int reps) {
  std::vector<std::uint8_t> from = make_state(bytes), to(bytes, 1);
  Seconds out;
  for (int i = 0; i <= reps; ++i) { // the first copy is a warm-up
    auto start = std::chrono::steady_clock::now();
    std::memcpy(to.data(), from.data(), bytes);
    asm volatile("" : : "r"(to.data()) : "memory");
    auto stop = std::chrono::steady_clock::now();
    if (i > 0)
      out.push_back(std::chrono::duration<double>(stop - start).count());
  }
  return out;
}

Seconds tcp_seconds(TcpClient &client, std::size_t bytes, int reps) {
  std::vector<std::uint8_t> payload = make_state(bytes);
  Seconds out;
  client.exchange(payload, bytes);
  for (int i = 0; i < reps; ++i)
    out.push_back(client.exchange(payload, bytes));
  return out;
}

Seconds round_trips(TcpClient &client, int count) {
  constexpr std::size_t kPayload = 64 - sizeof(std::uint64_t);
  std::vector<std::uint8_t> payload(kPayload, 7);
  for (int i = 0; i < 200; ++i)
    client.exchange(payload, kPayload);
  Seconds out;
  for (int i = 0; i < count; ++i)
    out.push_back(client.exchange(payload, kPayload));
  return out;
}

} // namespace migbench
