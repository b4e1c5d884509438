// A replicated proclet's primary: invocations run one at a time, recorded,
// and return once every backup applied them; backups lost are replaced,
// and a primary that a backup outlived stands down.
#include "Node.hpp"

#include "ControllerLink.hpp"
#include "Replies.hpp"
#include "replicate/Record.hpp"

#include <algorithm>
#include <utility>

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

/// Runs a request on a replicated proclet and sends its operation to the
/// backups; the reply goes out once they all applied it (finish). Entered
/// (try_enter) by the caller; left when the PendingOp goes.
void Node::serve_replicated(const std::shared_ptr<Slot> &slot,
                            const wire::FrameView &f, const Reply &reply) {
  auto p = std::make_shared<PendingOp>(slot, f.header, reply);
  std::span<const std::byte> args = f.payload;
  if ((f.header.flags & wire::kTagged) && !split_tag(args, p->tag))
    return reply(untagged(f.header));
  ReplicaSet &set = *slot->replicas;
  std::unique_lock order(set.order, std::defer_lock);
  {
    WorkerPool::BlockingScope blocking;
    order.lock();
  }
  if (p->tag && unacked(set, *p->tag))
    return reply(unavailable(f.header, "its first sending is still being "
                                       "replicated; try again"));
  if (const Bytes *done = p->tag ? set.completions.find(*p->tag) : nullptr)
    return reply(reply_again(*done, f.header)); // it ran: sent again
  auto recorder = std::make_shared<Recorder>();
  {
    ReplicationScope scope(recorder, nullptr);
    p->out = replicated_reply(invoke(*slot, f.header, args));
  }
  ReplicaOp op;
  op.request = static_cast<std::uint8_t>(f.header.kind);
  op.target = f.header.target;
  op.aux = f.header.aux;
  op.args.assign(args.begin(), args.end());
  op.calls = recorder->take();
  op.tag = p->tag.value_or(CallTag{});
  p->seq = ++set.seq;
  if (short_of_backups(set))
    add_backups(*slot, {}); // they are seeded with this operation applied
  if (p->tag) {
    set.completions.add(*p->tag, p->out);
    std::scoped_lock lock(set.unacked_mu);
    set.unacked.insert(*p->tag);
  }
  send_pending(p, std::move(op));
}

bool Node::unacked(ReplicaSet &set, const CallTag &tag) {
  std::scoped_lock lock(set.unacked_mu);
  return set.unacked.contains(tag);
}

/// Sends \p p's operation to every backup, under the proclet's order; each
/// acknowledgement counts down, and the last one settles \p p.
void Node::send_pending(const std::shared_ptr<PendingOp> &p, ReplicaOp op) {
  const Slot &slot = *p->slot;
  p->backups = slot.replicas->backups;
  p->acks.resize(p->backups.size());
  p->waiting = p->backups.size() + 1; // + 1: until every one is sent
  op.weight = slot.weight.load();
  Bytes payload = encode_op(std::move(op));
  wire::FrameHeader header = op_header(slot);
  for (std::size_t i = 0; i < p->backups.size(); ++i) {
    auto ack = std::make_shared<TypedState<std::uint8_t>>();
    request_rpc(p->backups[i], header, payload, ack,
                [this, p, ack, i](Expected<Bytes> reply) {
                  complete_call(*ack, std::move(reply));
                  try {
                    p->acks[i] = static_cast<ReplicaAck>(ack->take());
                  } catch (const std::exception &) {
                    // no answer: p->acks[i] stays empty
                  }
                  acked(p);
                });
  }
  acked(p);
}

/// One acknowledgement (or the end of sending) of \p p; the last one
/// replies if every backup applied the operation, else a worker repairs.
void Node::acked(const std::shared_ptr<PendingOp> &p) {
  if (p->waiting.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  for (const auto &ack : p->acks)
    if (ack != ReplicaAck::applied)
      return submit([this, p] { repair(p); });
  finish(p, std::move(p->out));
}

void Node::finish(const std::shared_ptr<PendingOp> &p, Bytes reply) {
  if (p->tag) {
    ReplicaSet &set = *p->slot->replicas;
    std::scoped_lock lock(set.unacked_mu);
    set.unacked.erase(*p->tag);
  }
  p->reply(std::move(reply));
}

/// What \p p's acknowledgements asked for: backups that did not answer
/// are fenced off and replaced, one that missed operations gets the whole
/// state (unless it got it since), and if one says a newer primary took
/// over, this one stands down and the call is refused as never run.
void Node::repair(const std::shared_ptr<PendingOp> &p) {
  const std::shared_ptr<Slot> &slot = p->slot;
  ReplicaSet &set = *slot->replicas;
  std::unique_lock order(set.order, std::defer_lock);
  {
    WorkerPool::BlockingScope blocking;
    order.lock();
  }
  bool stale = false;
  std::vector<NodeId> lost;
  for (std::size_t i = 0; i < p->backups.size(); ++i) {
    NodeId backup = p->backups[i];
    bool kept = std::find(set.backups.begin(), set.backups.end(), backup) !=
                set.backups.end();
    if (p->acks[i] == ReplicaAck::stale)
      stale = true;
    else if (!kept || p->acks[i] == ReplicaAck::applied)
      continue; // dropped meanwhile (and fenced off), or fine
    else if (p->acks[i] == ReplicaAck::need_state)
      reseed(*slot, backup, p->seq, lost);
    else
      lost.push_back(backup);
  }
  if (stale)
    stand_down(slot);
  if (stale || (!lost.empty() && !reconfigure(slot, lost)))
    return refuse(p);
  finish(p, std::move(p->out));
}

/// Refuses \p p after replication failed. If this primary stood down, the
/// call never ran as far as anyone will know. If it lives on without the
/// epoch to drop a lost backup, the operation ran here but is not where it
/// must be: sent again, the call is told to try again (not answered from
/// the completions) until a fence succeeds.
void Node::refuse(const std::shared_ptr<PendingOp> &p) {
  const std::shared_ptr<Slot> &slot = p->slot;
  if (find_slot(slot->id) != slot)
    return finish(p, unavailable(p->request, superseded(slot->id)));
  if (p->tag)
    slot->replicas->unreplicated.push_back(*p->tag);
  p->reply(unavailable(p->request,
                       "its primary on node " + std::to_string(id()) +
                           " lost a backup, and the controller did not grant "
                           "a new epoch to go on without (unreachable, or a "
                           "backup took over)"));
}

/// Sends the whole state to \p backup, which lacks operation \p seq,
/// unless a state sent since has it; a backup it cannot reach joins \p lost.
void Node::reseed(const Slot &slot, NodeId backup, std::uint64_t seq,
                  std::vector<NodeId> &lost) {
  auto it = slot.replicas->seeded.find(backup);
  if (it != slot.replicas->seeded.end() && it->second >= seq)
    return;
  try {
    seed(slot, backup);
  } catch (const std::exception &e) {
    log::get("node").warn("node {}: lost backup node {} of proclet {}: {}",
                          id(), backup, slot.id, e.what());
    lost.push_back(backup);
  }
}

std::string Node::superseded(ProcletId id) const {
  return "proclet " + std::to_string(id) + " on node " +
         std::to_string(this->id()) +
         " was superseded by a backup that took over";
}

/// Tells the backups the epoch and weight (a Meta operation) and waits
/// for each. Backups lost are replaced, never by \p avoid; false if one
/// says a newer primary took over: this one then stands down.
bool Node::send_meta(const std::shared_ptr<Slot> &slot, NodeId avoid) {
  auto sent = broadcast_meta(*slot);
  if (sent.stale) {
    stand_down(slot);
    return false;
  }
  if (sent.lost.empty() && !short_of_backups(*slot->replicas))
    return true;
  if (!sent.lost.empty() && !fence(slot, sent.lost))
    return false;
  sent.lost.push_back(avoid);
  add_backups(*slot, sent.lost);
  return true;
}

/// Fewer backups than wanted, and a live node that could be one.
bool Node::short_of_backups(const ReplicaSet &set) {
  return set.backups.size() < set.wanted &&
         nodes().size() > set.backups.size() + 1;
}

/// Sends \p op to every backup at the current sequence number and epoch;
/// a backup that lacks operations gets the whole state.
Node::Broadcast Node::broadcast(const Slot &slot, ReplicaOp op) {
  const ReplicaSet &set = *slot.replicas;
  Bytes payload = encode_op(std::move(op));
  wire::FrameHeader header = op_header(slot);
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

/// Tells every backup the current epoch and weight (a Meta operation).
Node::Broadcast Node::broadcast_meta(const Slot &slot) {
  ReplicaOp meta;
  meta.kind = ReplicaOp::Meta;
  meta.weight = slot.weight.load();
  return broadcast(slot, std::move(meta));
}

/// A Replicate frame's header: at the current sequence number and epoch.
wire::FrameHeader Node::op_header(const Slot &slot) const {
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Replicate;
  header.proclet_id = slot.id;
  header.target = slot.replicas->seq;
  header.aux = slot.epoch.load();
  return header;
}

/// A Replicate frame's payload: \p op, sent by this node.
Bytes Node::encode_op(ReplicaOp op) const {
  op.primary = id();
  Bytes payload = wire::start_frame();
  encode(payload, SerialContext{}, op);
  return payload;
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
/// backups kept learn: a backup left behind can then never take over.
/// Backups that do not answer join \p lost. False if this primary stood
/// down, or if the controller did not grant the epoch.
bool Node::fence(const std::shared_ptr<Slot> &slot, std::vector<NodeId> &lost) {
  ReplicaSet &set = *slot->replicas;
  const std::uint64_t epoch = slot->epoch.load() + 1;
  if (!granted(*slot, epoch))
    return false;
  auto dropped = [&lost](NodeId n) {
    return std::find(lost.begin(), lost.end(), n) != lost.end();
  };
  std::erase_if(set.backups, dropped);
  slot->epoch.store(epoch);
  auto sent = broadcast_meta(*slot);
  if (sent.stale) {
    stand_down(slot);
    return false;
  }
  lost.insert(lost.end(), sent.lost.begin(), sent.lost.end());
  std::erase_if(set.backups, dropped);
  std::scoped_lock lock(set.unacked_mu); // the backups kept have them all
  for (const CallTag &tag : std::exchange(set.unreplicated, {}))
    set.unacked.erase(tag);
  return true;
}

/// Asks the controller for \p epoch of \p slot's proclet, as a backup
/// taking over does. It is refused to a primary that was declared dead
/// while silent (its backups may not answer because one took over), and
/// if a backup took over at that epoch already: a primary never moves on
/// alone, or a paused one could seed new backups with its stale state.
/// Without an answer (the controller restarts) the call is refused too,
/// and the next one asks again.
bool Node::granted(const Slot &slot, std::uint64_t epoch) {
  if (!link_)
    return true; // no controller: nobody else can take over
  auto won = link_->claim(slot.id, id(), epoch);
  if (won && *won)
    return true;
  log::get("node").warn("node {}: the controller did not grant proclet {} "
                        "epoch {} (a backup may have taken over); the call "
                        "is refused",
                        id(), slot.id, epoch);
  return false;
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
  SavedState state = save_state(slot);
  state.archive(SerialContext{})(slot.replicas->completions,
                                 slot.replicas->backups);
  send_state(slot, to, std::move(state), true);
  slot.replicas->seeded[to] = slot.replicas->seq;
}

/// Appends to a migrating primary's \p state what its new node needs to
/// go on as the primary (ReplicaCarry): \p to is no backup of its own.
void Node::carry_replicas(const Slot &slot, NodeId to, SavedState &state) {
  ReplicaSet &set = *slot.replicas;
  std::scoped_lock lock(set.order);
  std::vector<NodeId> backups = set.backups;
  std::erase(backups, to);
  state.archive(SerialContext{})(set.completions, backups);
}

/// A replicated proclet that migrated here, hosted as the primary it was
/// on the node it came from (a copy this node kept of it goes).
std::shared_ptr<Slot> Node::host_moved(ProcletId id, const ProcletType &type,
                                       void *object, const ChunkInfo &info,
                                       ReplicaCarry carry) {
  auto set = std::make_shared<ReplicaSet>(info.replicas);
  set->seq = info.seq;
  set->completions = std::move(carry.completions);
  set->backups = std::move(carry.backups);
  std::sort(set->backups.begin(), set->backups.end());
  set->backups.erase(std::unique(set->backups.begin(), set->backups.end()),
                     set->backups.end());
  std::erase(set->backups, this->id());
  backups_.take(id);
  note_replicated(id);
  auto slot = host_slot(type, object, info.pinned, info.weight, id, info.epoch,
                        std::move(set));
  // Its backups learn, at its new epoch, that it is theirs now: they follow
  // it from then on, and never take over while it lives. None is found on
  // the node it came from, which hosts it until this returns.
  std::scoped_lock lock(slot->replicas->order);
  send_meta(slot, info.from);
  return slot;
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
  send_meta(slot);
}

/// The proclet is gone: its backups drop their copies (one-way: a backup
/// that misses it keeps a copy that nobody asks for).
void Node::drop_backups(const Slot &slot) {
  ReplicaOp drop;
  drop.kind = ReplicaOp::Drop;
  Bytes payload = encode_op(std::move(drop));
  std::scoped_lock lock(slot.replicas->order);
  wire::FrameHeader header = op_header(slot);
  header.flags = wire::kOneWay;
  for (NodeId backup : slot.replicas->backups) {
    Bytes frame = payload;
    wire::finish_frame(frame, header);
    send_frame(backup, std::move(frame));
  }
}

} // namespace nu::detail
