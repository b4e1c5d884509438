// Migration at the source: hold new calls, drain the ones in flight, send
// the state, then forward what was held to the proclet's new node.
#include "Node.hpp"

#include "ControllerLink.hpp"
#include "Replies.hpp"
#include "WorkerPool.hpp"
#include "nu/detail/local_call.hpp"
#include "nu/errors.hpp"
#include "nu/log/log.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <random>
#include <thread>

namespace nu {

template <class A> void serialize(A &ar, MigrationStats &s) {
  std::int64_t pause = s.pause.count();
  ar(s.proclet, s.from, s.to, s.bytes, pause);
  s.pause = std::chrono::microseconds(pause);
}

namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

/// Tombstones kept for proclets that left (older ones are resolved
/// through the controller, which has long been told).
constexpr std::size_t kMaxMoved = 1 << 16;

/// The first window a drain gets before it lets parked requests in.
constexpr auto kFirstDrainWindow = std::chrono::milliseconds(5);

std::string name(ProcletId id) { return "proclet " + std::to_string(id); }

Error cannot_migrate(ProcletId id, NodeId to, const std::string &why) {
  return Error("nu: cannot migrate " + name(id) + " to node " +
               std::to_string(to) + ": " + why);
}

/// A pause of half to all of \p window, so that two moves waiting on each
/// other do not retry in step.
Clock::duration jittered(Clock::duration window) {
  thread_local std::minstd_rand random(std::random_device{}());
  return window / 2 + std::uniform_int_distribution<Clock::rep>(
                          0, window.count() / 2)(random) *
                          Clock::duration(1);
}

} // namespace

long thread_faults() {
  if (!log::get("migrate").should_log(log::Level::debug))
    return 0;
  rusage r{};
  getrusage(RUSAGE_THREAD, &r);
  return r.ru_minflt;
}

MigrationStats migrate(Node *node, ProcletId id, NodeId location, NodeId to) {
  return node->request_move(id, location, to);
}

MigrationStats Node::migrate(ProcletId id, NodeId to) {
  WorkerPool::BlockingScope blocking;
  if (options_.migrate_delay.count() > 0) // the baseline: reacting late
    std::this_thread::sleep_for(options_.migrate_delay);
  Clock::time_point start;
  std::shared_ptr<Slot> slot = start_drained(id, to, start);
  MigrationStats stats{id, this->id(), to, 0, {}};
  bool sending = false;
  Clock::time_point drained = Clock::now(), saved;
  long faults = thread_faults();
  try {
    SavedState state = save_state(*slot);
    stats.bytes = state.bytes();
    if (slot->replicas)
      carry_replicas(*slot, to, state);
    saved = Clock::now();
    faults = thread_faults() - faults;
    sending = true;
    send_state(*slot, to, std::move(state));
  } catch (const std::exception &e) {
    abort_move(slot, sending);
    throw cannot_migrate(id, to, e.what());
  }
  commit_move(slot, to);
  migrated_bytes_.fetch_add(stats.bytes);
  const Clock::time_point end = Clock::now();
  stats.pause = us(end - start);
  log::get("migrate").info("migrated {} from node {} to node {}: {} bytes, "
                           "paused {} us",
                           name(id), stats.from, to, stats.bytes,
                           stats.pause.count());
  log::get("migrate").debug(
      "{}'s pause: drain {} us, save {} us ({} page faults), send and load "
      "{} us",
      name(id), us(drained - start).count(), us(saved - drained).count(),
      faults, us(end - saved).count());
  submit([this, slot] { retire(slot); });
  return stats;
}

/// Marks the proclet migrating: from now on its requests are parked.
std::shared_ptr<Slot> Node::start_move(ProcletId id, NodeId to) {
  if (to == this->id())
    throw Error("nu: " + name(id) + " is already on node " +
                std::to_string(to));
  if (!knows(to))
    throw Error("nu: cannot migrate " + name(id) + ": there is no live node " +
                std::to_string(to));
  std::scoped_lock lock(moves_mu_);
  std::shared_ptr<Slot> slot = find_slot(id);
  if (!slot)
    throw Error("nu: " + name(id) + " is not on node " +
                std::to_string(this->id()));
  if (slot->pinned)
    throw Error("nu: " + name(id) + " is pinned and never migrates");
  SlotState active = SlotState::Active;
  if (parked_.contains(id) || // an earlier move from here is not done
      !slot->state.compare_exchange_strong(active, SlotState::Migrating))
    throw Error("nu: " + name(id) + " is already migrating");
  parked_[id];
  return slot;
}

/// Parks the proclet's new requests and waits until no call is inside it.
/// A call inside may wait for another proclet whose move waits for this one
/// (a call cycle between two moves), so a drain that outlasts a short window
/// lets the parked requests in, pauses, and tries again with a window twice
/// as long, until --nu-migrate-drain-ms. Sets \p parked to when the
/// proclet's requests were last parked.
std::shared_ptr<Slot> Node::start_drained(ProcletId id, NodeId to,
                                          Clock::time_point &parked) {
  auto deadline = Clock::now() + options_.migrate_drain;
  for (Clock::duration window = kFirstDrainWindow;; window *= 2) {
    std::shared_ptr<Slot> slot = start_move(id, to);
    parked = Clock::now();
    bool drained = false;
    try {
      drained = drain_calls(slot, std::min(parked + window, deadline));
    } catch (const std::exception &e) {
      abort_move(slot, false);
      throw cannot_migrate(id, to, e.what());
    }
    if (drained)
      return slot;
    abort_move(slot, false);
    if (Clock::now() >= deadline)
      throw cannot_migrate(id, to,
                           "its calls in flight did not finish within " +
                               std::to_string(options_.migrate_drain.count()) +
                               " ms");
    std::this_thread::sleep_for(jittered(window));
  }
}

/// Waits until no call is inside the proclet (guarded ones: requests, weak
/// handles, weight changes; and local fastpath ones) or \p until passes;
/// false then.
bool Node::drain_calls(const std::shared_ptr<Slot> &slot,
                       Clock::time_point until) {
  process_barrier(); // fastpath entries made before are visible now
  for (auto nap = std::chrono::microseconds(2);;
       nap = std::min(nap * 2, std::chrono::microseconds(500))) {
    if (slot->state.load() != SlotState::Migrating)
      throw Error("it was destroyed meanwhile");
    if (slot->guarded_calls.load() == 0 && !inside_any_thread(slot.get()))
      return true;
    if (Clock::now() > until)
      return false;
    std::this_thread::sleep_for(nap);
  }
}

/// The proclet is active at \p to: requests go there from now on (unless
/// it came straight back here, which hosts it in a new slot already).
void Node::commit_move(const std::shared_ptr<Slot> &slot, NodeId to) {
  std::vector<Parked> parked;
  {
    std::scoped_lock lock(moves_mu_);
    moved_[slot->id] = to;
    moved_order_.push_back(slot->id);
    if (moved_order_.size() > kMaxMoved) {
      if (!find_slot(moved_order_.front())) // it may have come back
        moved_.erase(moved_order_.front());
      moved_order_.pop_front();
    }
    parked = std::move(parked_[slot->id]);
    parked_.erase(slot->id);
    std::unique_lock slots_lock(slots_mu_);
    auto it = slots_.find(slot->id);
    if (it != slots_.end() && it->second == slot) // else it came back
      slots_.erase(it);
    slot->state.store(SlotState::Gone);
  }
  unlink(*slot, to);
  migrations_.fetch_add(1);
  for (Parked &p : parked)
    relocate(std::move(p.frame), std::move(p.reply));
}

/// Points this node's handle to the proclet of \p gone at \p to, unless it
/// came back and the handle points to its newer slot here already. Either
/// way no handle keeps pointing to \p gone, which is about to be freed.
void Node::unlink(Slot &gone, NodeId to) {
  std::scoped_lock lock(proxies_mu_);
  auto it = proxies_.find(gone.id);
  if (it == proxies_.end())
    return;
  Slot *expected = &gone;
  if (it->second->local.compare_exchange_strong(expected, nullptr) ||
      expected == nullptr)
    it->second->location.store(to, std::memory_order_relaxed);
}

/// The move failed: the proclet resumes here with what was parked. If the
/// destination may have registered it, the controller hears of it here again
/// with a newer epoch.
void Node::abort_move(const std::shared_ptr<Slot> &slot, bool sent) {
  if (sent) {
    std::uint64_t epoch = slot->epoch.fetch_add(2) + 2;
    if (link_)
      link_->registered(slot->id, id(), epoch);
  }
  std::vector<Parked> parked;
  {
    std::scoped_lock lock(moves_mu_);
    SlotState migrating = SlotState::Migrating;
    slot->state.compare_exchange_strong(migrating, SlotState::Active);
    parked = std::move(parked_[slot->id]);
    parked_.erase(slot->id);
  }
  for (Parked &p : parked)
    submit([this, p = std::make_shared<Parked>(std::move(p))] {
      serve(std::move(p->frame), std::move(p->reply));
    });
}

/// Destroys the source's copy once no thread can still reach its slot.
void Node::retire(std::shared_ptr<Slot> slot) {
  process_barrier();
  while (inside_any_thread(slot.get()))
    std::this_thread::yield();
  destroy(std::move(slot));
}

/// A request for a proclet that is not active here: parked while it
/// migrates, sent after it if it left, else resolved through the controller.
void Node::relocate(Bytes frame, Reply reply) {
  auto view = wire::parse_frame(frame);
  const wire::FrameHeader header = view->header;
  std::optional<NodeId> moved;
  {
    std::scoped_lock lock(moves_mu_);
    if (auto it = parked_.find(header.proclet_id); it != parked_.end()) {
      it->second.push_back({std::move(frame), std::move(reply)});
      return;
    }
    if (auto it = moved_.find(header.proclet_id); it != moved_.end())
      moved = it->second;
  }
  auto slot = find_slot(header.proclet_id);
  if (slot && slot->active()) // a migration ended meanwhile, or it came back
    return serve(std::move(frame), std::move(reply));
  if (moved)
    return forward_to(*moved, *view, reply, false);
  if (forward(*view, reply) || (header.flags & wire::kOneWay))
    return;
  reply(unavailable(header, "no " + name(header.proclet_id) + " on node " +
                                std::to_string(id())));
}

void Node::serve_move(const wire::FrameView &f, const Reply &reply) {
  const wire::FrameHeader &h = f.header;
  try {
    if (h.aux == wire::kMoveList)
      return reply(reply_with(h, wire::FrameKind::Result, list_proclets()));
    if (h.aux != 0)
      throw Error("nu: a Move frame with an unknown request (aux " +
                  std::to_string(h.aux) + ")");
    if (h.proclet_id == 0)
      return reply(
          reply_with(h, wire::FrameKind::Result, std::uint64_t{drain()}));
    MigrationStats stats = migrate(h.proclet_id, static_cast<NodeId>(h.target));
    reply(reply_with(h, wire::FrameKind::Result, stats));
  } catch (...) {
    reply(error_reply(h));
  }
}

MigrationStats Node::request_move(ProcletId id, NodeId location, NodeId to) {
  if (hosts(id))
    return migrate(id, to);
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Move;
  header.proclet_id = id;
  header.target = to;
  auto state = std::make_shared<TypedState<MigrationStats>>();
  request_rpc(location, header, wire::start_frame(), state);
  try {
    return state->take();
  } catch (const RemoteError &e) {
    throw Error(e.what());
  }
}

// What this node hosts and keeps as backups; a proclet changing hands
// shows with no size.
std::vector<wire::ProcletListing> Node::list_proclets() const {
  std::vector<wire::ProcletListing> out;
  HeapPool::refresh();
  {
    std::shared_lock lock(slots_mu_);
    for (const auto &[id, slot] : slots_) {
      std::uint64_t bytes = 0;
      if (slot->try_enter()) {
        bytes = slot->type->estimate_size(slot->object);
        slot->leave();
      }
      std::string role = slot->pinned ? "pinned" : "";
      if (slot->replicas)
        role = "primary of " + std::to_string(slot->replicas->wanted);
      out.emplace_back(id, slot->type->name, bytes, HeapPool::bytes(slot->heap),
                       std::move(role));
    }
  }
  for (const auto &copy : backups_.all())
    out.emplace_back(copy->slot.id,
                     copy->slot.type ? copy->slot.type->name : "", 0, 0,
                     "backup");
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t Node::heap_bytes() const {
  HeapPool::refresh();
  std::uint64_t total = 0;
  std::shared_lock lock(slots_mu_);
  for (const auto &[id, slot] : slots_)
    total += HeapPool::bytes(slot->heap);
  return total;
}

std::vector<Node::ProcletUsage> Node::movable_proclets() const {
  std::vector<ProcletUsage> out;
  HeapPool::refresh();
  std::shared_lock lock(slots_mu_);
  for (const auto &[id, slot] : slots_)
    if (!slot->pinned && slot->try_enter()) { // its state is not changing hands
      out.push_back({id, slot->type->estimate_size(slot->object),
                     HeapPool::bytes(slot->heap),
                     slot->cpu_ns.load(std::memory_order_relaxed)});
      slot->leave();
    }
  return out;
}

Node::DrainResult Node::drain_pass(std::stop_token stop) {
  DrainResult r;
  auto fail = [&r](std::string why) {
    if (r.failed++ == 0)
      r.first_error = std::move(why);
  };
  for (const ProcletUsage &p : movable_proclets()) {
    if (stop.stop_requested())
      break;
    std::optional<NodeId> to =
        link_ ? link_->place(p.bytes, this->id()) : std::nullopt;
    if (!to || *to == this->id()) {
      fail("no other node can take it");
      continue;
    }
    try {
      migrate(p.id, *to);
      r.moved++;
    } catch (const Error &e) {
      if (find_slot(p.id))
        fail(e.what()); // else destroyed meanwhile
    }
  }
  return r;
}

std::size_t Node::drain() {
  DrainResult r = drain_pass();
  if (r.failed)
    throw Error("nu: drained " + std::to_string(r.moved) +
                " proclets of node " + std::to_string(id()) + ", " +
                std::to_string(r.failed) + " could not move (" + r.first_error +
                ")");
  return r.moved;
}

} // namespace detail
} // namespace nu
