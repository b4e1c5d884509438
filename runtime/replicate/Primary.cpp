// A replicated proclet's primary: invocations run one at a time, recorded,
// and return once every backup applied them; backups lost are replaced,
// and a primary that a backup outlived stands down.
#include "Node.hpp"

#include "ControllerLink.hpp"
#include "Replies.hpp"
#include "replicate/Record.hpp"

#include <algorithm>

namespace nu::detail {

/// \p reply (from invoke) marked as coming from a replicated proclet, so
/// callers tag their calls to it from now on.
Bytes replicated_reply(Bytes reply) {
  auto header = wire::parse_header(reply);
  header->flags |= wire::kReplicated;
  wire::finish_frame(reply, *header);
  return reply;
}

/// The reply kept for a call, for \p request: the same call sent again.
Bytes reply_again(Bytes reply, const wire::FrameHeader &request) {
  auto header = wire::parse_header(reply);
  header->request_id = request.request_id;
  wire::finish_frame(reply, *header);
  return reply;
}

/// Gives a new replicated proclet its backups.
void Node::start_replicas(const std::shared_ptr<Slot> &slot) {
  std::scoped_lock lock(slot->replicas->order);
  reconfigure(slot, {});
}

/// Runs a request on a replicated proclet and replicates it before the
/// reply goes out. Entered (try_enter) by the caller.
void Node::serve_replicated(const std::shared_ptr<Slot> &slot,
                            const wire::FrameView &f,
                            std::span<const std::byte> args,
                            std::optional<CallTag> tag, const Reply &reply) {
  ReplicaSet &set = *slot->replicas;
  std::unique_lock order(set.order, std::defer_lock);
  {
    WorkerPool::BlockingScope blocking;
    order.lock();
  }
  if (const Bytes *done = tag ? set.completions.find(*tag) : nullptr)
    return reply(reply_again(*done, f.header)); // it ran: sent again
  auto recorder = std::make_shared<Recorder>();
  Bytes out;
  {
    ReplicationScope scope(recorder, nullptr);
    out = replicated_reply(invoke(*slot, f.header, args));
  }
  ReplicaOp op;
  op.request = static_cast<std::uint8_t>(f.header.kind);
  op.target = f.header.target;
  op.aux = f.header.aux;
  op.args.assign(args.begin(), args.end());
  op.calls = recorder->take();
  op.tag = tag.value_or(CallTag{});
  if (send_op(slot, std::move(op))) {
    if (tag)
      set.completions.add(*tag, out);
    return reply(std::move(out));
  }
  // It ran on a copy that is gone now: it is as if it never had, and the
  // request goes to the primary that took over.
  if (!forward(f, reply))
    reply(unavailable(f.header, superseded(slot->id)));
}

std::string Node::superseded(ProcletId id) const {
  return "proclet " + std::to_string(id) + " on node " +
         std::to_string(this->id()) +
         " was superseded by a backup that took over";
}

/// Sends \p op (an Invoke takes the next sequence number) to the backups
/// and waits for each to apply it. Backups lost are replaced; false if one
/// says a newer primary took over: this one then stands down.
bool Node::send_op(const std::shared_ptr<Slot> &slot, ReplicaOp op) {
  ReplicaSet &set = *slot->replicas;
  if (op.kind == ReplicaOp::Invoke)
    ++set.seq;
  op.weight = slot->weight.load();
  auto sent = broadcast(*slot, op);
  if (sent.stale) {
    stand_down(slot);
    return false;
  }
  bool short_of_backups = set.backups.size() < set.wanted &&
                          nodes().size() > set.backups.size() + 1;
  if (!sent.lost.empty() || short_of_backups)
    return reconfigure(slot, sent.lost);
  return true;
}

/// Sends \p op to every backup at the current sequence number and epoch;
/// a backup that lacks operations gets the whole state.
Node::Broadcast Node::broadcast(const Slot &slot, const ReplicaOp &op) {
  const ReplicaSet &set = *slot.replicas;
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Replicate;
  header.proclet_id = slot.id;
  header.target = set.seq;
  header.aux = slot.epoch.load();
  Bytes payload = wire::start_frame();
  encode(payload, SerialContext{}, op);
  std::vector<std::shared_ptr<TypedState<std::uint8_t>>> acks;
  for (NodeId backup : set.backups) {
    acks.push_back(std::make_shared<TypedState<std::uint8_t>>());
    request_rpc(backup, header, payload, acks.back());
  }
  Broadcast out;
  for (std::size_t i = 0; i < acks.size(); ++i) {
    NodeId backup = set.backups[i];
    try {
      auto ack = static_cast<ReplicaAck>(acks[i]->take());
      if (ack == ReplicaAck::stale)
        out.stale = true;
      else if (ack == ReplicaAck::need_state)
        seed(slot, backup);
    } catch (const std::exception &e) {
      log::get("node").warn("node {}: lost backup node {} of proclet {}: {}",
                            id(), backup, slot.id, e.what());
      out.lost.push_back(backup);
    }
  }
  return out;
}

/// Drops the backups in \p lost (fencing them off) and finds new ones.
/// False if this primary stood down.
bool Node::reconfigure(const std::shared_ptr<Slot> &slot,
                       std::vector<NodeId> lost) {
  if (!lost.empty() && !fence(slot, lost))
    return false;
  add_backups(*slot, lost);
  return true;
}

/// Drops the backups in \p lost and moves to a new epoch, which the
/// backups kept learn before the controller does: a backup left behind can
/// then never take over. Backups that do not answer join \p lost. False if
/// this primary stood down.
bool Node::fence(const std::shared_ptr<Slot> &slot, std::vector<NodeId> &lost) {
  ReplicaSet &set = *slot->replicas;
  auto dropped = [&lost](NodeId n) {
    return std::find(lost.begin(), lost.end(), n) != lost.end();
  };
  std::erase_if(set.backups, dropped);
  auto epoch = slot->epoch.fetch_add(1) + 1;
  ReplicaOp meta;
  meta.kind = ReplicaOp::Meta;
  meta.weight = slot->weight.load();
  auto sent = broadcast(*slot, meta);
  if (sent.stale) {
    stand_down(slot);
    return false;
  }
  lost.insert(lost.end(), sent.lost.begin(), sent.lost.end());
  std::erase_if(set.backups, dropped);
  if (link_)
    link_->registered(slot->id, id(), epoch);
  return true;
}

/// Seeds new backups on live nodes other than this one, the backups
/// already kept and \p avoid, until the proclet has as many as it wants;
/// fewer if there are not enough nodes (the next invocation tries again).
void Node::add_backups(const Slot &slot, const std::vector<NodeId> &avoid) {
  ReplicaSet &set = *slot.replicas;
  std::vector<NodeId> candidates = nodes();
  std::erase_if(candidates, [&](NodeId n) {
    return n == id() ||
           std::find(set.backups.begin(), set.backups.end(), n) !=
               set.backups.end() ||
           std::find(avoid.begin(), avoid.end(), n) != avoid.end();
  });
  // Start at a place the proclet's id picks, so backups spread.
  std::size_t start = candidates.empty() ? 0 : slot.id % candidates.size();
  std::rotate(candidates.begin(), candidates.begin() + start, candidates.end());
  for (NodeId n : candidates) {
    if (set.backups.size() >= set.wanted)
      return;
    try {
      seed(slot, n);
      set.backups.push_back(n);
    } catch (const std::exception &e) {
      log::get("node").warn("node {}: cannot make node {} a backup of "
                            "proclet {}: {}",
                            id(), n, slot.id, e.what());
    }
  }
}

/// Sends the proclet's whole state to backup \p to, at the current
/// sequence number and epoch; throws if it was not kept.
void Node::seed(const Slot &slot, NodeId to) {
  Bytes state = save_state(slot);
  encode(state, SerialContext{}, slot.replicas->completions);
  send_state(slot, to, std::move(state), slot.replicas.get());
}

/// A backup outlived this primary and took over: calls here are refused
/// from now on (callers are sent on to the new primary) and the copy goes.
void Node::stand_down(const std::shared_ptr<Slot> &slot) {
  log::get("node").warn("node {}: {}; dropping this copy", id(),
                        superseded(slot->id));
  {
    std::unique_lock lock(slots_mu_);
    auto it = slots_.find(slot->id);
    if (it == slots_.end() || it->second != slot)
      return;
    slots_.erase(it);
  }
  slot->state.store(SlotState::Gone, std::memory_order_seq_cst);
  relocated_from(slot->id, id()); // handles here follow the new primary
  submit([this, slot] { destroy(slot); });
}

/// This node was declared dead while silent: the replicated proclets that a
/// backup took over meanwhile stand down at once (the others would on
/// their next call, when a backup refuses it).
void Node::stand_down_stale() {
  std::vector<std::shared_ptr<Slot>> replicated;
  {
    std::shared_lock lock(slots_mu_);
    for (const auto &[id, slot] : slots_)
      if (slot->replicas)
        replicated.push_back(slot);
  }
  for (const auto &slot : replicated) {
    auto where = link_->resolve(slot->id);
    if (!where || where->node == id())
      continue;
    std::scoped_lock lock(slot->replicas->order);
    stand_down(slot);
  }
}

/// A grant adds weight that a backup taking over must know of.
void Node::replicate_weight(const std::shared_ptr<Slot> &slot,
                            std::uint64_t added) {
  std::scoped_lock lock(slot->replicas->order);
  slot->weight.fetch_add(added, std::memory_order_relaxed);
  ReplicaOp meta;
  meta.kind = ReplicaOp::Meta;
  send_op(slot, std::move(meta));
}

/// The proclet is gone: its backups drop their copies (one-way: a backup
/// that misses it keeps a copy that nobody asks for).
void Node::drop_backups(const Slot &slot) {
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Replicate;
  header.flags = wire::kOneWay;
  header.proclet_id = slot.id;
  header.aux = slot.epoch.load();
  ReplicaOp drop;
  drop.kind = ReplicaOp::Drop;
  std::scoped_lock lock(slot.replicas->order);
  header.target = slot.replicas->seq;
  for (NodeId backup : slot.replicas->backups) {
    Bytes frame = wire::start_frame();
    encode(frame, SerialContext{}, drop);
    wire::finish_frame(frame, header);
    send_frame(backup, std::move(frame));
  }
}

} // namespace nu::detail
