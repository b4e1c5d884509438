// Leaving the logical process gracefully, and peers that do: GoAway tells
// the nodes that call a leaving node to call elsewhere, before it closes.
#include "ControllerLink.hpp"
#include "Node.hpp"
#include "Replies.hpp"

#include <thread>

namespace nu::detail {
namespace {

using Clock = std::chrono::steady_clock;

// How long a peer has to answer a GoAway (a live one does at once).
constexpr std::chrono::seconds kGoAwayAnswer{2};
// How long a drain before leaving goes on trying when nothing moves (other
// nodes may be leaving too), and how often.
constexpr std::chrono::seconds kDrainPatience{1};
constexpr std::chrono::milliseconds kDrainRetry{50};
// How long the callers have to close their side once everything is
// answered.
constexpr std::chrono::seconds kCloseWait{1};

template <class Done> bool wait_until(Clock::time_point deadline, Done done) {
  while (!done()) {
    if (Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A request nodes send (the controller and nuctl send only moves, and
// Control frames come with the controller).
bool from_a_node(const wire::FrameHeader &header) {
  using enum wire::FrameKind;
  if (header.kind == Move)
    return (header.flags & wire::kForwarded) != 0 ||
           header.aux == wire::kMoveList;
  return header.kind != Control;
}

} // namespace

/// Remembers \p conn as one nodes call this node on; told to go away at
/// once if this node is leaving.
void Node::note_caller(const std::shared_ptr<net::Connection> &conn,
                       const wire::FrameHeader &header) {
  if (!from_a_node(header))
    return;
  {
    std::scoped_lock lock(callers_mu_);
    if (!callers_.try_emplace(conn.get(), conn).second || !leaving_)
      return;
  }
  go_away(conn);
}

void Node::leave(bool move_late) {
  const auto deadline = Clock::now() + options_.call_timeout;
  {
    std::scoped_lock lock(callers_mu_);
    leaving_ = true; // a caller noted from now on is told by note_caller
  }
  for (auto &conn : live_callers()) // one noted meanwhile is told twice
    go_away(conn);
  // Every caller has stopped sending here before the controller hears of
  // it: until then it may still place proclets here, which callers now
  // refuse (they place them elsewhere).
  wait_until(std::min(deadline, Clock::now() + kGoAwayAnswer),
             [&] { return unacked_.load() == 0; });
  if (move_late)
    if (auto late = drain_pass(); late.moved + late.failed > 0)
      log::get("node").info("node {}: moved {} proclets that arrived while it "
                            "drained; {} could not move ({})",
                            id(), late.moved, late.failed, late.first_error);
  if (link_)
    link_->leave();
  if (!wait_until(deadline, [&] { return unanswered_.load() == 0; }))
    log::get("node").warn("node {}: left with {} requests unanswered", id(),
                          unanswered_.load());
  close_callers();
}

Node::DrainResult Node::drain_before_leaving(std::stop_token stop) {
  departing_ = true;
  if (!link_ || !link_->announce_leaving())
    log::get("node").warn("node {}: could not tell the controller it is "
                          "leaving; proclets may still be placed here",
                          id());
  DrainResult total;
  // A move refused by a node that started leaving too is placed again in
  // a later pass, once the controller knows: passes go on until none has
  // moved anything for kDrainPatience with the controller there to place.
  for (auto moving = Clock::now(); !stop.stop_requested();) {
    DrainResult pass = drain_pass(stop);
    total.moved += pass.moved;
    total.first_error = std::move(pass.first_error);
    if (movable_proclets().empty())
      break;
    if (pass.moved > 0 || (link_ && !link_->connected()))
      moving = Clock::now();
    else if (Clock::now() - moving >= kDrainPatience)
      break;
    else
      std::this_thread::sleep_for(kDrainRetry);
  }
  total.failed = movable_proclets().size();
  if (total.failed > 0 && total.first_error.empty())
    total.first_error = "stopped before they moved";
  return total;
}

/// The callers' connections still open.
std::vector<std::shared_ptr<net::Connection>> Node::live_callers() {
  std::vector<std::shared_ptr<net::Connection>> open;
  std::scoped_lock lock(callers_mu_);
  for (auto &[raw, weak] : callers_)
    if (auto conn = weak.lock())
      open.push_back(std::move(conn));
  return open;
}

/// Tells the caller at \p conn that this node is leaving; its answer comes
/// after every request it sent here before it stopped.
void Node::go_away(const std::shared_ptr<net::Connection> &conn) {
  unacked_.fetch_add(1);
  wire::FrameHeader header;
  header.kind = wire::FrameKind::GoAway;
  endpoint_->call(conn, header, wire::start_frame(),
                  Clock::now() + kGoAwayAnswer,
                  [this](Expected<Bytes>) { unacked_.fetch_sub(1); });
}

/// The node at the other end of \p conn is leaving: this node sends it no
/// more requests (calls to proclets it cached there go where the controller
/// says) and answers once it has stopped. The calls already sent there
/// still get their replies on the connection, which that node closes.
void Node::serve_go_away(const std::shared_ptr<net::Connection> &conn,
                         const wire::FrameHeader &header) {
  {
    std::scoped_lock lock(peers_mu_);
    for (auto it = connections_.begin(); it != connections_.end(); ++it)
      if (it->second == conn) {
        log::get("node").debug("node {}: node {} is leaving", id(), it->first);
        leaving_peers_.insert(it->first);
        draining_.emplace(conn.get(), it->first);
        connections_.erase(it);
        break;
      }
  }
  conn->send(reply_frame(header, wire::FrameKind::Result, wire::start_frame()));
}

/// Closes the callers' connections once what was queued on them is sent,
/// and waits a little for them to close.
void Node::close_callers() {
  for (auto &conn : live_callers())
    conn->close();
  wait_until(Clock::now() + kCloseWait, [&] {
    std::scoped_lock lock(callers_mu_);
    return callers_.empty();
  });
}

} // namespace nu::detail
