// The two records behind a proclet handle: Slot (a proclet hosted by this
// node) and Proxy (this node's share of references to one proclet).
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/registry.hpp"
#include "nu/ids.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

namespace nu::detail {

class Node;
struct ReplicaSet;

enum class SlotState : std::uint8_t { Active, Migrating, Gone };

/// A proclet living on this node: its object and its reference weight.
struct Slot {
  ProcletId id = 0;
  const ProcletType *type = nullptr;
  void *object = nullptr;
  bool pinned = false;
  /// The proclet's own heap (0: it shares the node's) and the allocation
  /// flags that select it while its code runs (current_heap_flags()).
  unsigned heap = 0;
  int heap_flags = 0;
  /// Bumped by every migration; the controller keeps the newest.
  std::atomic<std::uint64_t> epoch{1};
  std::atomic<SlotState> state{SlotState::Active};
  /// Calls that entered through a path that holds no reference (weak
  /// handles, remote requests); destruction waits for them.
  std::atomic<int> guarded_calls{0};
  /// Reference weight held by all proxies anywhere, plus weight in flight.
  std::atomic<std::uint64_t> weight{0};
  /// Time spent in requests and asynchronous local calls (not inline
  /// fastpath calls), for the policy.
  std::atomic<std::uint64_t> cpu_ns{0};
  /// A replicated proclet's backups (null: not replicated). Calls to it
  /// never take the fastpath.
  std::shared_ptr<ReplicaSet> replicas;

  bool active() const {
    return state.load(std::memory_order_acquire) == SlotState::Active;
  }
  /// Starts a guarded call; false unless the proclet is active.
  bool try_enter() {
    guarded_calls.fetch_add(1, std::memory_order_seq_cst);
    if (state.load(std::memory_order_seq_cst) != SlotState::Active) {
      leave();
      return false;
    }
    return true;
  }
  void leave() { guarded_calls.fetch_sub(1, std::memory_order_release); }
};

/// This node's view of one proclet: the references held here (`refs`,
/// counted per handle copy) and the reference weight they carry together.
/// A live proxy always holds a weight of at least 1.
struct Proxy {
  ProcletId id = 0;
  const ProcletType *type = nullptr;
  Node *node = nullptr;
  std::atomic<long> refs{1};
  std::atomic<std::uint64_t> weight{0};
  /// The slot when the proclet is hosted by `node`, else null.
  std::atomic<Slot *> local{nullptr};
  /// Where the proclet was last known to live.
  std::atomic<NodeId> location{0};

  /// True if the proclet was hosted by `node` when last looked at (a hint:
  /// calls enter through LocalCall, which checks).
  bool hosted_here() const {
    return local.load(std::memory_order_relaxed) != nullptr;
  }
};

/// Drops this node's share once the last handle on it is gone.
void release_proxy(Proxy *proxy);

inline void add_ref(Proxy *proxy) {
  if (proxy)
    proxy->refs.fetch_add(1, std::memory_order_relaxed);
}

inline void drop_ref(Proxy *proxy) {
  if (proxy && proxy->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    release_proxy(proxy);
}

} // namespace nu::detail
