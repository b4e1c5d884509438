// What replicated proclets are made of: a primary's backups and the order
// of its invocations, the operations it sends them, and the copies a backup
// keeps until it applies them or takes over.
#pragma once

#include "nu/detail/archive.hpp"
#include "nu/detail/handle.hpp"
#include "nu/ids.hpp"
#include "nu/wire/frame.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nu::detail {

/// Who made a call, for calls a caller may send again (RIFL's ids): its
/// node and a number that node never uses twice. Travels as the last
/// kCallTagSize bytes of a request flagged wire::kTagged.
struct CallTag {
  NodeId caller = 0;
  std::uint64_t call = 0;
  auto operator<=>(const CallTag &) const = default;
  template <class A> void serialize(A &ar) { ar(caller, call); }
};
inline constexpr std::size_t kCallTagSize = 12;

/// The replies of the latest tagged calls a replicated proclet ran, so a
/// call sent again (its primary died before replying) is answered, not
/// run twice. Bounded: the oldest go first.
class Completions {
public:
  static constexpr std::size_t kMaxCalls = 4096;
  static constexpr std::size_t kMaxBytes = std::size_t{4} << 20;

  const Bytes *find(const CallTag &tag) const;
  void add(const CallTag &tag, Bytes reply);
  template <class A> void save(A &ar) const { ar(order_, replies_); }
  template <class A> void load(A &ar) {
    ar(order_, replies_);
    bytes_ = 0;
    for (const auto &[tag, reply] : replies_)
      bytes_ += reply.size();
    bool same = order_.size() == replies_.size();
    for (const CallTag &tag : order_)
      same = same && replies_.contains(tag);
    if (!same)
      throw DecodeError("completions whose order and replies disagree");
  }

private:
  std::map<CallTag, Bytes> replies_;
  std::deque<CallTag> order_; // oldest first
  std::size_t bytes_ = 0;
};

/// A backup's answer to a Replicate frame.
enum class ReplicaAck : std::uint8_t {
  applied = 0,
  stale = 1,      ///< a newer primary took over: the sender must stand down
  need_state = 2, ///< no copy, or one that missed operations: send it whole
};

/// What a replicated proclet's state carries after it, to a backup or to
/// the node it migrates to: the replies of recent calls and its backups.
struct ReplicaCarry {
  Completions completions;
  std::vector<NodeId> backups;
  template <class A> void serialize(A &ar) { ar(completions, backups); }
};

/// A primary's side of a replicated proclet (Slot::replicas).
struct ReplicaSet {
  explicit ReplicaSet(unsigned wanted) : wanted(wanted) {}
  const unsigned wanted;
  Completions completions; // under order
  /// Held while an invocation runs and its operation is sent: one at a
  /// time, so the backups apply them in the order the primary ran them.
  /// The acknowledgements are awaited outside it.
  std::mutex order;
  std::vector<NodeId> backups; // under order
  std::uint64_t seq = 0;       // the last operation sent; under order
  /// The sequence number of the last whole state sent to each backup (a
  /// repair seeds a backup again only if that one predates the operation).
  std::map<NodeId, std::uint64_t> seeded; // under order
  /// Tagged calls whose reply waits for the backups: sent again meanwhile,
  /// they are told to try again, not answered from `completions` early.
  std::mutex unacked_mu;
  std::set<CallTag> unacked;
  /// Tagged calls run here whose operation some backup lost, refused
  /// because the epoch to go on without it was not granted: they stay
  /// unacked until a fence succeeds (the backups kept have them, new ones
  /// are seeded with them). Under order.
  std::vector<CallTag> unreplicated;
};

/// An invocation of a replicated proclet whose reply waits for its
/// backups' acknowledgements: the last one sends it, or hands a worker
/// what must be repaired first. Keeps the proclet entered until it is
/// destroyed, so that a migration waits for it.
struct PendingOp {
  PendingOp(std::shared_ptr<Slot> slot, const wire::FrameHeader &request,
            std::function<void(Bytes)> reply)
      : slot(std::move(slot)), request(request), reply(std::move(reply)) {}
  ~PendingOp() { slot->leave(); }
  PendingOp(const PendingOp &) = delete;
  PendingOp &operator=(const PendingOp &) = delete;

  std::shared_ptr<Slot> slot;
  wire::FrameHeader request;
  std::function<void(Bytes)> reply;
  std::optional<CallTag> tag;
  Bytes out; ///< the reply, once the backups applied the operation
  std::uint64_t seq = 0;
  std::vector<NodeId> backups;                 ///< the ones it was sent to
  std::vector<std::optional<ReplicaAck>> acks; ///< nullopt: no answer
  std::atomic<std::size_t> waiting{0};
};

/// What a sub-invocation made by a replicated method returned: its reply
/// frame, or why none came.
struct Recorded {
  bool ok = true;
  bool timed_out = false;
  std::string message;
  Bytes frame;
  template <class A> void serialize(A &ar) {
    ar(ok, timed_out, message, frame);
  }
};

/// A sub-invocation as a backup finds it again: its target and result.
struct SubCall {
  ProcletId proclet = 0;
  std::uint8_t kind = 0; ///< wire::FrameKind of the request
  std::uint64_t target = 0;
  std::uint64_t aux = 0;
  Recorded result;
  bool same_call(const SubCall &o) const {
    return proclet == o.proclet && kind == o.kind && target == o.target &&
           aux == o.aux;
  }
  template <class A> void serialize(A &ar) {
    ar(proclet, kind, target, aux, result);
  }
};

/// One operation a primary sends its backups: the payload of a Replicate
/// frame, whose `target` is its sequence number and `aux` the epoch.
struct ReplicaOp {
  enum Kind : std::uint8_t {
    Invoke = 1, ///< run the request, replaying `calls`
    Meta = 2,   ///< only the epoch and weight change
    Drop = 3,   ///< the proclet is gone: drop the copy
  };
  std::uint8_t kind = Invoke;
  std::uint8_t request = 0; ///< wire::FrameKind: Call or CallClosure
  std::uint64_t target = 0;
  std::uint64_t aux = 0;
  std::uint64_t weight = 0; ///< the proclet's reference weight after it
  NodeId primary = 0;       ///< the sender: backups follow a primary that moved
  Bytes args;
  std::vector<SubCall> calls;
  CallTag tag; ///< caller 0: an untagged call
  template <class A> void serialize(A &ar) {
    ar(kind, request, target, aux, weight, primary, args, calls, tag);
  }
  /// Throws DecodeError unless the kinds are ones a primary sends.
  void check() const;
};

/// A copy of a proclet kept for its primary. The slot is never in the
/// node's table: calls do not find it until it takes over.
struct BackupCopy {
  std::mutex mu; // one operation at a time
  Slot slot;
  std::uint64_t seq = 0;
  /// Read by take-overs without the copy's lock.
  std::atomic<NodeId> primary = 0;
  unsigned wanted = 0; ///< backups the proclet keeps, once it takes over
  Completions completions;
  ~BackupCopy() {
    if (slot.object)
      slot.type->destroy(slot.object);
  }
};

/// \p reply (a Result or Error frame) marked as coming from a replicated
/// proclet, so that callers tag their calls to it from now on.
Bytes replicated_reply(Bytes reply);
/// A reply kept for a call, readdressed to \p request: the call sent again.
Bytes reply_again(Bytes reply, const wire::FrameHeader &request);

/// The copies a node keeps, by proclet.
class Backups {
public:
  std::shared_ptr<BackupCopy> find(ProcletId id) const;
  /// Keeps \p copy for its proclet, replacing an older one.
  void put(std::shared_ptr<BackupCopy> copy);
  std::shared_ptr<BackupCopy> take(ProcletId id);
  /// The copies whose primary is one of \p gone.
  std::vector<std::shared_ptr<BackupCopy>>
  orphaned(const std::set<NodeId> &gone) const;
  std::size_t size() const;
  /// Every copy, in proclet order.
  std::vector<std::shared_ptr<BackupCopy>> all() const;

private:
  mutable std::mutex mu_;
  std::map<ProcletId, std::shared_ptr<BackupCopy>> copies_;
};

} // namespace nu::detail
