// nuctl's requests to a node (not the controller): Move frames that migrate
// one proclet, drain the node or list its proclets, each awaited for a
// bounded time.
#pragma once

#include "Protocol.hpp"
#include "Result.hpp"

#include "nu/net/transport.hpp"
#include "nu/wire/frame.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace nu::controller {

/// What a node reports about one migration (nu::MigrationStats).
struct MoveStats {
  ProcletId proclet = 0;
  NodeId from = 0;
  NodeId to = 0;
  std::uint64_t bytes = 0;
  std::int64_t pause_us = 0;
};

/// Asks \p node, which hosts proclet \p id (or knows where it went), to
/// migrate it to node \p to.
Expected<MoveStats> request_move(net::Transport &transport, const Peer &node,
                                 ProcletId id, NodeId to,
                                 std::chrono::milliseconds timeout);

/// Asks \p node to move every movable proclet it hosts to other nodes;
/// returns how many moved.
Expected<std::uint64_t> request_drain(net::Transport &transport,
                                      const Peer &node,
                                      std::chrono::milliseconds timeout);

/// Asks \p node what it hosts and keeps as backups (moves nothing).
Expected<std::vector<wire::ProcletListing>>
request_list(net::Transport &transport, const Peer &node,
             std::chrono::milliseconds timeout);

} // namespace nu::controller
