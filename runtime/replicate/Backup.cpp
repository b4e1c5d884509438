// A backup's side of replicated proclets: keeping copies, applying the
// primary's operations in order, and taking over when the primary dies.
#include "Node.hpp"

#include "ControllerLink.hpp"
#include "Replies.hpp"
#include "replicate/Record.hpp"

namespace nu::detail {
namespace {

constexpr std::chrono::milliseconds kClaimPause{200};

} // namespace

const Bytes *Completions::find(const CallTag &tag) const {
  auto it = replies_.find(tag);
  return it == replies_.end() ? nullptr : &it->second;
}

void Completions::add(const CallTag &tag, Bytes reply) {
  if (replies_.contains(tag))
    return;
  bytes_ += reply.size();
  replies_.emplace(tag, std::move(reply));
  order_.push_back(tag);
  while (order_.size() > kMaxCalls || bytes_ > kMaxBytes) {
    if (auto oldest = replies_.find(order_.front()); oldest != replies_.end()) {
      bytes_ -= oldest->second.size();
      replies_.erase(oldest);
    }
    order_.pop_front();
  }
}

void ReplicaOp::check() const {
  auto call = static_cast<wire::FrameKind>(request);
  bool invoke =
      call == wire::FrameKind::Call || call == wire::FrameKind::CallClosure;
  if (kind < Invoke || kind > Drop || (kind == Invoke && !invoke))
    throw DecodeError("a replica operation of unknown kind");
}

std::shared_ptr<BackupCopy> Backups::find(ProcletId id) const {
  std::scoped_lock lock(mu_);
  auto it = copies_.find(id);
  return it == copies_.end() ? nullptr : it->second;
}

void Backups::put(std::shared_ptr<BackupCopy> copy) {
  std::scoped_lock lock(mu_);
  copies_[copy->slot.id] = std::move(copy);
}

std::shared_ptr<BackupCopy> Backups::take(ProcletId id) {
  std::scoped_lock lock(mu_);
  auto node = copies_.extract(id);
  return node ? std::move(node.mapped()) : nullptr;
}

std::vector<std::shared_ptr<BackupCopy>>
Backups::orphaned(const std::set<NodeId> &gone) const {
  std::vector<std::shared_ptr<BackupCopy>> out;
  std::scoped_lock lock(mu_);
  for (const auto &[id, copy] : copies_)
    if (gone.contains(copy->primary))
      out.push_back(copy);
  return out;
}

std::size_t Backups::size() const {
  std::scoped_lock lock(mu_);
  return copies_.size();
}

std::vector<std::shared_ptr<BackupCopy>> Backups::all() const {
  std::scoped_lock lock(mu_);
  std::vector<std::shared_ptr<BackupCopy>> out;
  out.reserve(copies_.size());
  for (const auto &[id, copy] : copies_)
    out.push_back(copy);
  return out;
}

/// Keeps a copy sent whole by its primary, replacing an older one. Refused
/// (throws) if this node hosts the proclet: it took over from the sender.
void Node::keep_copy(ProcletId id, const ProcletType &type, StateParts parts,
                     const ChunkInfo &info) {
  if (find_slot(id))
    throw Error("nu: node " + std::to_string(this->id()) + " hosts proclet " +
                std::to_string(id) + " itself");
  auto copy = std::make_shared<BackupCopy>();
  copy->slot.id = id;
  copy->slot.type = &type;
  copy->slot.pinned = info.pinned;
  copy->slot.epoch = info.epoch;
  copy->slot.weight = info.weight;
  ReplicaCarry carry;
  copy->slot.object = load_object(type, parts, &carry);
  copy->completions = std::move(carry.completions);
  copy->seq = info.seq;
  copy->primary = info.from;
  copy->wanted = info.replicas;
  backups_.put(std::move(copy));
}

/// A Replicate frame: applies the operation and answers with a ReplicaAck
/// (unless it is one-way: a drop).
void Node::serve_replicate(const wire::FrameView &f, const Reply &reply) {
  const wire::FrameHeader &h = f.header;
  ReplicaAck ack = ReplicaAck::need_state;
  try {
    ReplicaOp op;
    Decoder in(f.payload, SerialContext{});
    in(op);
    in.finish();
    op.check();
    if (find_slot(h.proclet_id))
      ack = ReplicaAck::stale; // this node took over
    else if (auto copy = backups_.find(h.proclet_id))
      ack = apply(copy, h, std::move(op));
    else if (op.kind == ReplicaOp::Drop)
      ack = ReplicaAck::applied;
  } catch (...) {
    if (!(h.flags & wire::kOneWay))
      reply(error_reply(h));
    return;
  }
  if (!(h.flags & wire::kOneWay))
    reply(
        reply_with(h, wire::FrameKind::Result, static_cast<std::uint8_t>(ack)));
}

/// Applies one operation to a copy, in sequence: a repeat is acknowledged
/// again, a gap asks for the whole state, an older epoch is refused.
ReplicaAck Node::apply(const std::shared_ptr<BackupCopy> &copy,
                       const wire::FrameHeader &h, ReplicaOp op) {
  std::scoped_lock lock(copy->mu);
  if (backups_.find(copy->slot.id) != copy) // taken over or replaced
    return find_slot(copy->slot.id) ? ReplicaAck::stale
                                    : ReplicaAck::need_state;
  const std::uint64_t seq = h.target;
  const std::uint64_t epoch = h.aux;
  if (epoch < copy->slot.epoch.load())
    return ReplicaAck::stale;
  if (op.kind == ReplicaOp::Drop) {
    backups_.take(copy->slot.id);
    return ReplicaAck::applied;
  }
  if (op.kind == ReplicaOp::Invoke && seq <= copy->seq)
    return ReplicaAck::applied; // a repeat
  std::uint64_t next = op.kind == ReplicaOp::Invoke ? copy->seq + 1 : copy->seq;
  if (seq != next)
    return ReplicaAck::need_state;
  if (op.kind == ReplicaOp::Invoke && !replay(*copy, op))
    return ReplicaAck::need_state; // the copy is dropped: it differs now
  copy->seq = seq;
  copy->primary = op.primary;
  copy->slot.epoch = epoch;
  copy->slot.weight = op.weight;
  return ReplicaAck::applied;
}

/// Runs an invocation again on a copy, its sub-invocations answered from
/// the primary's record, and keeps its reply if the call was tagged; false
/// (and the copy dropped) if it made a call that the primary did not.
bool Node::replay(BackupCopy &copy, ReplicaOp &op) {
  auto replayer = std::make_shared<Replayer>(std::move(op.calls));
  wire::FrameHeader h;
  h.kind = static_cast<wire::FrameKind>(op.request);
  h.proclet_id = copy.slot.id;
  h.target = op.target;
  h.aux = op.aux;
  Bytes out;
  {
    ReplicationScope scope(nullptr, replayer);
    out = invoke(copy.slot, h, op.args);
  }
  if (!replayer->diverged()) {
    if (op.tag.caller != 0)
      copy.completions.add(op.tag, replicated_reply(std::move(out)));
    return true;
  }
  log::get("node").warn(
      "node {}: a method of replicated proclet {} made a call on this backup "
      "that it did not make on its primary (its methods must be "
      "deterministic); the copy is sent again",
      id(), copy.slot.id);
  backups_.take(copy.slot.id);
  return false;
}

/// Nodes \p gone were declared dead: the copies whose primary was there
/// try to take over.
void Node::take_over(const std::set<NodeId> &gone) {
  for (auto &copy : backups_.orphaned(gone))
    submit([this, copy] { claim(copy); });
}

/// Asks the controller to make this copy the proclet at the next epoch.
/// Only one claim per epoch succeeds: a copy that lost (another backup was
/// first, or this one missed a reconfiguration) is dropped. Without an
/// answer (the controller restarts), the copy asks again later.
void Node::claim(const std::shared_ptr<BackupCopy> &copy) {
  ProcletId proclet = copy->slot.id;
  std::uint64_t epoch = 0;
  {
    std::scoped_lock lock(copy->mu);
    if (!link_ || backups_.find(proclet) != copy)
      return; // replaced or dropped meanwhile
    epoch = copy->slot.epoch.load() + 1;
  }
  // Not under the copy's lock: operations are applied on I/O threads,
  // which must not wait for the controller.
  auto won = link_->claim(proclet, id(), epoch);
  std::unique_lock lock(copy->mu);
  if (backups_.find(proclet) != copy)
    return;
  if (!won && !stopping_) {
    lock.unlock();
    return later_.after(kClaimPause, [this, copy] { claim(copy); });
  }
  backups_.take(proclet); // an operation waiting for the lock finds it gone
  lock.unlock();
  if (!won || !*won) {
    log::get("node").info("node {}: another copy of proclet {} took over", id(),
                          proclet);
    return;
  }
  auto set = std::make_shared<ReplicaSet>(copy->wanted);
  set->seq = copy->seq;
  set->completions = std::move(copy->completions);
  note_replicated(proclet);
  auto slot = host_slot(
      *copy->slot.type, std::exchange(copy->slot.object, nullptr),
      copy->slot.pinned, copy->slot.weight.load(), proclet, epoch, set);
  update_location(proclet, id());
  log::get("node").warn("node {}: took over proclet {} from dead node {} "
                        "(epoch {})",
                        id(), proclet, copy->primary.load(), epoch);
  start_replicas(slot);
}

} // namespace nu::detail
