// Options for creating a proclet: where it goes and whether it may move.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/ids.hpp"

#include <cstddef>
#include <optional>

namespace nu {

/// Passed as the first argument of make_proclet.
struct ProcletOptions {
  /// Never migrate this proclet.
  bool pinned = false;
  /// Create it on this node (default: the runtime places it).
  std::optional<NodeId> node = std::nullopt;
  /// Expected size of its state in bytes, a placement hint (0: unknown).
  std::size_t expected_size = 0;
  /// Backups kept on other nodes (0 to kMaxReplicas): every invocation is
  /// applied by them before it returns, and one takes over if the node
  /// hosting the proclet dies. It migrates like any other; its backups
  /// follow it.
  unsigned replicas = 0;
};

/// The most backups a proclet may have.
inline constexpr unsigned kMaxReplicas = 3;

} // namespace nu
