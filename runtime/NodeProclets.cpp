// The proclets a node hosts and the references it holds: placement,
// creation, and weighted reference counting (no message per copy).
#include "Node.hpp"

#include "ControllerLink.hpp"
#include "nu/errors.hpp"
#include "replicate/Record.hpp"

#include <algorithm>
#include <thread>

namespace nu::detail {

NodeId Node::place(const ProcletOptions &options) {
  if (options.replicas > kMaxReplicas)
    throw Error("nu: make_proclet: a proclet keeps at most " +
                std::to_string(kMaxReplicas) + " backups, not " +
                std::to_string(options.replicas));
  if (current_recorder() || current_replayer())
    throw Error("nu: make_proclet: a method of a replicated proclet cannot "
                "create proclets (its backups would create them again)");
  if (options.node) {
    if (!knows(*options.node))
      throw Error("nu: make_proclet: there is no node " +
                  std::to_string(*options.node));
    return *options.node;
  }
  if (options_.default_placement)
    return *options_.default_placement;
  if (!link_)
    return id();
  // The controller spreads proclets by free resources, a batch of
  // decisions at a time for proclets of unknown size; without an answer
  // (it may be restarting), the proclet stays here.
  auto where = options.expected_size == 0 ? link_->next_place()
                                          : link_->place(options.expected_size);
  return where && knows(*where) ? *where : id();
}

ProcletId Node::next_proclet_id() {
  if (link_)
    return link_->next_id();
  return (static_cast<ProcletId>(id()) << 40) |
         next_proclet_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<controller::ProcletReport> Node::proclet_reports() const {
  std::vector<controller::ProcletReport> out;
  std::shared_lock lock(slots_mu_);
  for (const auto &[id, slot] : slots_)
    out.push_back({id, slot->epoch.load()});
  return out;
}

std::shared_ptr<Slot> Node::host_slot(const ProcletType &type, void *object,
                                      bool pinned, std::uint64_t weight,
                                      ProcletId id, std::uint64_t epoch,
                                      std::shared_ptr<ReplicaSet> replicas,
                                      unsigned heap) {
  auto slot = std::make_shared<Slot>();
  slot->heap = heap;
  slot->heap_flags = HeapPool::flags(heap);
  slot->replicas = std::move(replicas);
  slot->id = id ? id : next_proclet_id();
  slot->epoch = epoch;
  slot->type = &type;
  slot->object = object;
  slot->pinned = pinned;
  slot->weight.store(weight, std::memory_order_relaxed);
  {
    std::unique_lock lock(slots_mu_);
    slots_[slot->id] = slot;
  }
  if (link_)
    link_->registered(slot->id, this->id(), epoch);
  return slot;
}

/// Hosts a new proclet with all of its weight (and its backups, once they
/// have its first state).
std::shared_ptr<Slot> Node::host_new(const ProcletType &type, void *object,
                                     const ProcletOptions &options,
                                     unsigned heap) {
  std::shared_ptr<ReplicaSet> replicas;
  if (options.replicas > 0)
    replicas = std::make_shared<ReplicaSet>(options.replicas);
  auto slot = host_slot(type, object, options.pinned, kInitialWeight, 0, 1,
                        replicas, heap);
  if (replicas) {
    note_replicated(slot->id);
    start_replicas(slot);
  }
  return slot;
}

Proxy *Node::host(const ProcletType &type, void *object,
                  const ProcletOptions &options, unsigned heap) {
  auto slot = host_new(type, object, options, heap);
  return new_proxy(slot->id, type, id(), kInitialWeight);
}

Proxy *Node::create_remote(NodeId where, const ProcletType &type,
                           std::uint64_t ctor_id, const ProcletOptions &options,
                           Bytes frame) {
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Create;
  header.flags = (options.pinned ? std::uint32_t{wire::kPinned} : 0u) |
                 (options.replicas << wire::kReplicaShift);
  header.target = type.id;
  header.aux = ctor_id;
  using Created = std::tuple<ProcletId, std::uint64_t>;
  auto state = std::make_shared<TypedState<Created>>();
  request_rpc(where, header, std::move(frame), state);
  auto [id, weight] = state->take();
  if (options.replicas > 0)
    note_replicated(id);
  return new_proxy(id, type, where, weight);
}

Proxy *Node::new_proxy(ProcletId id, const ProcletType &type, NodeId location,
                       std::uint64_t weight) {
  auto *proxy = new Proxy;
  proxy->id = id;
  proxy->type = &type;
  proxy->node = this;
  proxy->weight.store(weight, std::memory_order_relaxed);
  proxy->location.store(location, std::memory_order_relaxed);
  // Under proxies_mu_, as a migration's commit repoints handles: a slot seen
  // here is either still hosted or the commit will clear the pointer.
  std::scoped_lock lock(proxies_mu_);
  if (location == this->id())
    if (auto slot = find_slot(id); slot && !slot->replicas)
      proxy->local.store(slot.get(), std::memory_order_release);
  proxies_[id] = proxy;
  return proxy;
}

Proxy *Node::adopt(ProcletId id, std::uint64_t type_id, NodeId location,
                   std::uint64_t weight) {
  const ProcletType *type = TypeRegistry::instance().find(type_id);
  if (!type || weight == 0)
    throw DecodeError("proclet handle with unknown type or no weight");
  if (current_replayer()) // the primary holds that weight: ask for ours
    weight = own_weight(id, *type, location);
  return merge_proxy(id, *type, location, weight);
}

/// Adds \p weight to this node's live proxy of \p id, or makes one.
Proxy *Node::merge_proxy(ProcletId id, const ProcletType &type, NodeId location,
                         std::uint64_t weight) {
  {
    std::scoped_lock lock(proxies_mu_);
    if (auto it = proxies_.find(id); it != proxies_.end()) {
      Proxy *p = it->second;
      long refs = p->refs.load(std::memory_order_relaxed);
      while (refs > 0 && !p->refs.compare_exchange_weak(refs, refs + 1))
        ;
      if (refs > 0) { // still alive: merge the weight into it
        p->weight.fetch_add(weight, std::memory_order_relaxed);
        return p;
      }
    }
  }
  return new_proxy(id, type, location, weight);
}

// A scan of the hosted proclets: nothing on the call path keeps which
// proclet a thread runs (it would cost every call).
Proxy *Node::self(const void *object, const std::type_info &cpp) {
  std::shared_ptr<Slot> found;
  {
    std::shared_lock lock(slots_mu_);
    for (const auto &[id, slot] : slots_)
      if (slot->object == object) {
        found = slot;
        break;
      }
  }
  if (!found || found->type->cpp_type != std::type_index(cpp))
    throw Error("nu::get_current_proclet: the object is not a proclet of "
                "that type hosted on this node (call it with `this` from a "
                "method of the proclet)");
  std::uint64_t weight = own_weight(found->id, *found->type, id());
  return merge_proxy(found->id, *found->type, id(), weight);
}

/// Weight for a handle a backup reads while it replays an invocation: the
/// weight the handle carries is the primary's, so the backup is granted
/// its own by the proclet.
std::uint64_t Node::own_weight(ProcletId id, const ProcletType &type,
                               NodeId location) {
  Proxy asking;
  asking.id = id;
  asking.type = &type;
  asking.node = this;
  asking.location = location;
  return grant(&asking);
}

std::uint64_t Node::split(Proxy *proxy) {
  std::uint64_t w = proxy->weight.load(std::memory_order_relaxed);
  for (;;) {
    if (w < 2) {
      proxy->weight.fetch_add(grant(proxy), std::memory_order_relaxed);
      w = proxy->weight.load(std::memory_order_relaxed);
      continue;
    }
    if (proxy->weight.compare_exchange_weak(w, w - w / 2))
      return w / 2;
  }
}

/// Asks the proclet's host for more weight for \p proxy.
std::uint64_t Node::grant(Proxy *proxy) {
  NodeId location = proxy->location.load(std::memory_order_relaxed);
  if (location == id())
    if (auto slot = find_slot(proxy->id);
        slot && !slot->replicas && slot->try_enter()) {
      slot->weight.fetch_add(kInitialWeight, std::memory_order_relaxed);
      slot->leave();
      return kInitialWeight;
    } // else it is migrating or gone: ask the request way
  wire::FrameHeader header;
  header.kind = wire::FrameKind::GrantWeight;
  header.proclet_id = proxy->id;
  header.aux = kInitialWeight;
  auto state = std::make_shared<TypedState<void>>();
  request_rpc(location, header, wire::start_frame(), state);
  state->take();
  return kInitialWeight;
}

void Node::release(Proxy *proxy) {
  {
    std::scoped_lock lock(proxies_mu_);
    auto it = proxies_.find(proxy->id);
    if (it != proxies_.end() && it->second == proxy)
      proxies_.erase(it);
  }
  return_weight(proxy->id, proxy->location.load(std::memory_order_relaxed),
                proxy->weight.load(std::memory_order_relaxed));
  delete proxy;
}

void Node::return_weight(ProcletId id, NodeId location, std::uint64_t weight) {
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Release;
  header.flags = wire::kOneWay;
  header.proclet_id = id;
  header.aux = weight;
  Bytes frame = wire::start_frame();
  wire::finish_frame(frame, header);
  if (location != this->id() && !connection(location)) // it left or died
    location = relocated_from(id, location);
  if (location != this->id())
    return send_frame(location, std::move(frame));
  serve(std::move(frame), [](Bytes) {}); // here, migrating, or moved on
}

/// Takes \p weight off \p slot. The last of it removes the proclet, which is
/// returned for the caller to destroy once it has left its guarded call.
/// Weight is never returned beyond what is out: a release of more (or of
/// none), which no handle could hold, is refused and changes nothing.
std::shared_ptr<Slot> Node::subtract_weight(Slot &slot, std::uint64_t weight) {
  std::uint64_t out = slot.weight.load(std::memory_order_acquire);
  do {
    if (weight == 0 || weight > out) {
      log::limited(refusals_, log::get("node"), log::Level::warn,
                   "node {}: refused a release of weight {} of proclet {}: "
                   "only {} is out",
                   id(), weight, slot.id, out);
      return nullptr;
    }
  } while (!slot.weight.compare_exchange_weak(out, out - weight,
                                              std::memory_order_acq_rel));
  if (out != weight)
    return nullptr;
  std::shared_ptr<Slot> gone;
  {
    std::unique_lock lock(slots_mu_);
    auto it = slots_.find(slot.id);
    if (it == slots_.end() || it->second.get() != &slot)
      return nullptr;
    gone = std::move(it->second);
    slots_.erase(it);
  }
  if (link_)
    link_->unregistered(gone->id);
  gone->state.store(SlotState::Gone, std::memory_order_seq_cst);
  return gone;
}

/// Runs the destructor once no guarded call is inside the proclet, and
/// gives its heap back.
void Node::destroy(std::shared_ptr<Slot> slot) {
  slot->state.store(SlotState::Gone, std::memory_order_seq_cst);
  while (slot->guarded_calls.load(std::memory_order_acquire) != 0)
    std::this_thread::yield();
  {
    HeapScope scope(slot->heap_flags);
    slot->type->destroy(slot->object);
  }
  slot->object = nullptr;
  heaps_.release(std::exchange(slot->heap, 0));
}

std::shared_ptr<Slot> Node::find_slot(ProcletId id) const {
  std::shared_lock lock(slots_mu_);
  auto it = slots_.find(id);
  return it == slots_.end() ? nullptr : it->second;
}

std::size_t Node::proclet_count() const {
  std::shared_lock lock(slots_mu_);
  return slots_.size();
}

void Node::set_mem_limit(std::uint64_t bytes) {
  mem_limit_.store(bytes);
  if (link_)
    link_->set_mem_limit(bytes);
}

} // namespace nu::detail
