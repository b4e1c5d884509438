// A node's link to the controller: join, proclet id ranges, placement,
// location updates, heartbeats with load, rejoin after a controller restart.
#pragma once

#include "Client.hpp"
#include "CpuUse.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace nu::detail {

class ControllerLink {
public:
  struct Options {
    std::string address;
    bool main = false; ///< this node runs nu::main's function
    std::chrono::milliseconds timeout{3000};
  };
  /// What the link needs from its node.
  struct Hooks {
    std::function<void(const controller::Membership &)> set_peers;
    std::function<std::vector<controller::ProcletReport>()> proclets;
    std::function<std::uint64_t()> proclet_count;
    /// The controller declared this node dead (it was silent); it rejoins.
    std::function<void()> declared_dead;
    /// After each heartbeat the controller answered.
    std::function<void()> beat_done;
  };

  /// Joins the controller; throws nu::Error saying why it could not.
  ControllerLink(net::Transport &transport, Options options,
                 std::string node_address, Hooks hooks);
  ~ControllerLink();
  ControllerLink(const ControllerLink &) = delete;
  ControllerLink &operator=(const ControllerLink &) = delete;

  NodeId id() const { return id_; }
  /// Tells the node its peers and starts the heartbeats (once the node
  /// knows its id and is ready to hear of peers).
  void start();
  /// Stops the heartbeats and closes the connection; idempotent.
  void stop();

  /// Caps the free memory the heartbeats report at \p bytes minus this
  /// process's RSS (--nu-mem-limit; 0: no cap).
  void set_mem_limit(std::uint64_t bytes) { mem_limit_.store(bytes); }
  /// Asks for the live nodes now instead of at the next heartbeat.
  void refresh();
  /// Sends \p address as this node's published address with every
  /// heartbeat, starting with one now.
  void publish(std::string address);
  /// A fresh proclet id; asks for a new range when this one is used up.
  ProcletId next_id();
  /// Where to put a new proclet, or nullopt if the controller cannot say.
  std::optional<NodeId> place(std::uint64_t expected_size,
                              std::optional<NodeId> exclude = std::nullopt);
  /// Where to put a new proclet of unknown size: the next of a batch of
  /// placements the controller decided at once (a new batch when this one
  /// is used up or older than a heartbeat); nullopt if it cannot say.
  std::optional<NodeId> next_place();
  /// Where the controller believes \p id lives.
  std::optional<controller::Location> resolve(ProcletId id);
  /// Where it believes each of \p ids lives (node 0: not known), in one
  /// request; nullopt without an answer.
  std::optional<std::vector<controller::Location>>
  resolve_many(const std::vector<ProcletId> &ids);
  void registered(ProcletId id, NodeId node, std::uint64_t epoch);
  void unregistered(ProcletId id);
  /// Asks to become proclet \p id's host at \p epoch (a backup taking
  /// over): true if no other copy did first; nullopt without an answer.
  std::optional<bool> claim(ProcletId id, NodeId node, std::uint64_t epoch);

  /// The main node is done: every other node is told to exit.
  void end_process();
  /// This node is about to leave: the controller places nothing more
  /// here (said again to a restarted controller once this node rejoins).
  /// False if it did not say so (unreachable, or refused).
  bool announce_leaving();
  /// True while this node's connection to the controller is open.
  bool connected();
  /// This node leaves the logical process.
  void leave();
  /// Waits until the controller tells this node to exit, or \p timeout.
  bool wait_exit(std::chrono::milliseconds timeout);

private:
  std::shared_ptr<controller::Client> client();
  controller::Expected<std::shared_ptr<controller::Client>> connect();
  controller::NodeHello hello() const;
  controller::Load load(std::uint64_t proclets);
  void heartbeat_loop();
  void beat();
  void reconnect();
  void rejoin_after_death(controller::Client &old);
  void request_exit();
  void set_leaving();
  bool leaving();

  net::Transport &transport_;
  const Options options_;
  const std::string node_address_;
  Hooks hooks_;
  NodeId id_ = 0;
  std::chrono::milliseconds heartbeat_{500};
  std::atomic<std::uint64_t> mem_limit_{0};
  controller::Membership joined_peers_;

  std::mutex beat_mu_; // one heartbeat or reconnection at a time
  CpuBusy cpu_;        // under beat_mu_: how busy since the last beat
  std::mutex mu_;
  std::shared_ptr<controller::Client> client_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool exit_ = false;
  bool leaving_ = false;               // leave() or end_process() was called
  std::atomic<bool> announced_{false}; // announce_leaving() was called
  std::thread heartbeats_;
  std::string published_; // under mu_

  std::mutex ids_mu_;
  controller::IdRange ids_;
  ProcletId next_ = 0;
  ProcletId max_granted_ = 0;

  std::mutex places_mu_;
  std::deque<NodeId> places_; // leased placements, next first
  std::chrono::steady_clock::time_point places_until_;
};

} // namespace nu::detail
