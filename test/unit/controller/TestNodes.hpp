// Helpers shared by the controller's unit tests: a fixed clock origin and
// hellos of nodes running the same (or another) binary.
#pragma once

#include "NodeRegistry.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace nu::controller::test {

inline constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

/// A point in time \p seconds after an arbitrary origin.
inline TimePoint at(int seconds) {
  return TimePoint{} + std::chrono::seconds(seconds);
}

/// A node at 127.0.0.1:\p port with 16 GiB and 4 CPUs, built as "b1".
inline NodeHello hello(int port, std::string build_id = "b1",
                       std::string schema = "s1") {
  return NodeHello{"127.0.0.1:" + std::to_string(port), Capacity{16 * kGiB, 4},
                   std::move(build_id), std::move(schema)};
}

} // namespace nu::controller::test
