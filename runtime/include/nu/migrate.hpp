// nu::migrate: moving a proclet to another node by hand, while it keeps
// serving calls (they wait during the short pause and follow it).
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/ids.hpp"
#include "nu/proclet.hpp"

#include <chrono>
#include <cstdint>

namespace nu {

/// What one migration did.
struct MigrationStats {
  ProcletId proclet = 0;
  NodeId from = 0;
  NodeId to = 0;
  /// Bytes of saved state sent to the destination.
  std::uint64_t bytes = 0;
  /// From the moment new calls were held back to the moment the proclet
  /// was active at the destination.
  std::chrono::microseconds pause{0};
};

namespace detail {
MigrationStats migrate(Node *node, ProcletId id, NodeId location, NodeId to);
} // namespace detail

/// Moves the proclet `p` refers to onto node `to`, wherever it is now, and
/// returns once it is active there. Calls made meanwhile wait and are served
/// there; none is lost or run twice. Throws nu::Error saying why not (it is
/// pinned, `to` is not a live node, its calls in flight did not finish within
/// --nu-migrate-drain-ms, the destination failed); the proclet then keeps
/// running where it was.
template <class T> MigrationStats migrate(const Proclet<T> &p, NodeId to) {
  if (!p)
    throw Error("nu::migrate: the handle is empty");
  return detail::migrate(detail::current_node(), p.id(), p.location(), to);
}

} // namespace nu
