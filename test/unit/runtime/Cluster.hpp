// Two nodes in one process joined by the in-memory transport, and a test
// fixture running each test on the local fastpath and on the remote path.
#pragma once

#include "Node.hpp"
#include "nu/net/memory_transport.hpp"
#include "nu/net/secret.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace nutest {

/// Nodes 1 and 2 on one in-memory hub. With `remote`, node 1 places new
/// proclets on node 2, so every call from node 1 is serialized.
class Cluster {
public:
  /// With \p secret, every connection proves it (the cluster handshake).
  explicit Cluster(bool remote,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30),
                   std::shared_ptr<const nu::net::Secret> secret = nullptr)
      : hub_(std::make_shared<nu::net::MemoryHub>()),
        secret_(std::move(secret)), b_(options(2, std::nullopt, timeout)),
        a_(options(1, remote ? std::optional<nu::NodeId>(2) : std::nullopt,
                   timeout)) {
    a_.add_peer(2, b_.address());
    b_.add_peer(1, a_.address());
  }
  nu::detail::Node &a() { return a_; }
  const std::shared_ptr<nu::net::MemoryHub> &hub() const { return hub_; }
  nu::detail::Node &b() { return b_; }

private:
  nu::detail::Node::Options options(nu::NodeId id,
                                    std::optional<nu::NodeId> placement,
                                    std::chrono::milliseconds timeout) {
    nu::detail::Node::Options o;
    o.id = id;
    o.workers = 2;
    o.call_timeout = timeout;
    o.transport_options.memory_hub = hub_;
    o.transport_options.secret = secret_;
    o.default_placement = placement;
    return o;
  }

  std::shared_ptr<nu::net::MemoryHub> hub_;
  std::shared_ptr<const nu::net::Secret> secret_;
  nu::detail::Node b_;
  nu::detail::Node a_;
};

enum class Path { Local, Remote };

inline std::string path_name(const testing::TestParamInfo<Path> &info) {
  return info.param == Path::Local ? "Local" : "Remote";
}

/// Runs each test with node 1 as the calling thread's node.
class PathTest : public testing::TestWithParam<Path> {
protected:
  bool remote() const { return GetParam() == Path::Remote; }
  Cluster cluster_{remote()};
  nu::detail::NodeScope scope_{&cluster_.a()};
};

/// Polls \p done for up to 10 s (destruction happens on the workers).
inline bool eventually(const std::function<bool()> &done) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

} // namespace nutest
