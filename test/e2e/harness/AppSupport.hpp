// What the nu programs of the e2e tests share: a check that throws, and
// waiting for the nodes the test starts.
#pragma once

#include <nu/nu.hpp>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace nu::e2e {

inline void check(bool ok, const std::string &what) {
  if (!ok)
    throw std::runtime_error(what);
}

/// The nodes, once there are \p count of them; throws after 10 s.
inline std::vector<nu::NodeId> wait_for_nodes(std::size_t count) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (nu::nodes().size() < count) {
    check(std::chrono::steady_clock::now() < deadline,
          "too few nodes joined within 10 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return nu::nodes();
}

} // namespace nu::e2e
