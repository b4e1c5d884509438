// Steering requests as a Redis Cluster client does: the slot table from
// CLUSTER SLOTS, a connection per node, MOVED redirects followed and counted.
#pragma once

#include "Resp.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kvload {

class Router {
public:
  /// Reads the slot table from the first of \p Seeds that answers.
  Router(const std::vector<Address> &Seeds, int TimeoutMs);

  /// The connection to the node serving \p Key (opened on first use).
  Connection &forKey(std::string_view Key);
  /// Reads the reply to \p Command, sent on \p Conn; while it is a MOVED,
  /// updates the table (all of it from CLUSTER SLOTS, at most every
  /// 100 ms) and sends \p Command where it says (on a connection of its
  /// own, so replies pending on the others stay in order).
  void finish(Connection &Conn, std::string_view Command, Reply &Out);
  /// MOVED replies followed so far (read from any thread).
  long redirects() const { return Redirects.load(); }
  /// Makes blocked reads and writes fail at once (from another thread).
  void shutdown();

private:
  struct Node {
    Address At;
    std::unique_ptr<Connection> Conn, Side;
  };
  std::size_t nodeFor(const Address &At);
  Connection &open(std::unique_ptr<Connection> &Conn, const Address &At);
  void readSlots(Connection &Conn);

  int TimeoutMs;
  std::vector<Node> Nodes;
  std::vector<std::uint16_t> Owner; // slot -> index into Nodes
  std::atomic<long> Redirects{0};
  std::chrono::steady_clock::time_point NextRead; // of CLUSTER SLOTS
};

} // namespace kvload
