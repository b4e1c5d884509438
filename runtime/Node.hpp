// One node of a logical process: the proclets it hosts, its share of
// references to proclets anywhere, its workers and its links to peers.
#pragma once

#include "Heap.hpp"
#include "Later.hpp"
#include "WorkerPool.hpp"
#include "migrate/Transfer.hpp"
#include "nu/detail/heap.hpp"
#include "nu/detail/node_api.hpp"
#include "nu/log/log.hpp"
#include "nu/migrate.hpp"
#include "nu/net/transport.hpp"
#include "nu/rpc/endpoint.hpp"
#include "nu/wire/frame.hpp"
#include "replicate/Replication.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace nu::controller {
struct Membership;
struct ProcletReport;
} // namespace nu::controller

namespace nu::detail {

class ControllerLink;

class Node {
public:
  struct Options {
    NodeId id = 1;
    /// Runnable invocation workers (0: one per hardware thread).
    unsigned workers = 0;
    /// How long a caller waits for a remote reply.
    std::chrono::milliseconds call_timeout{30000};
    std::string transport = "memory";
    net::TransportOptions transport_options;
    /// Address to listen at ("" lets the transport choose).
    std::string listen_address;
    /// Where new proclets go when the caller does not say (default: the
    /// controller decides, or here without one).
    std::optional<NodeId> default_placement;
    /// The controller to join ("": none; peers are added by hand and `id`
    /// is used). With one, the controller assigns the id.
    std::string controller;
    /// This node runs nu::main's function (told to the controller).
    bool main = false;
    /// How long a migration waits for the calls in flight to finish.
    std::chrono::milliseconds migrate_drain{1000};
    /// The slow-migration baseline: a wait before each migration starts,
    /// and at most this many bytes a second of state sent (0: no limit).
    std::chrono::milliseconds migrate_delay{0};
    std::uint64_t migrate_throttle = 0;
    /// Proclets with a heap of their own at once; the rest share the
    /// node's and are charged the size of their state.
    std::size_t proclet_heaps = 256;
    /// The process's arguments other than nu's flags (nu::process_args).
    std::vector<std::string> args;
  };

  /// Starts the workers and listens; throws nu::Error if it cannot.
  explicit Node(Options options);
  /// Runs queued work, destroys the proclets still hosted, stops.
  ~Node();
  Node(const Node &) = delete;
  Node &operator=(const Node &) = delete;

  NodeId id() const { return options_.id; }
  const std::string &address() const { return address_; }
  std::chrono::milliseconds call_timeout() const {
    return options_.call_timeout;
  }
  /// Makes node \p peer reachable at \p address.
  void add_peer(NodeId peer, std::string address);
  /// Replaces the peers by the controller's list of live nodes; calls
  /// waiting on a node that is gone fail.
  void set_peers(const controller::Membership &membership);
  /// The link to the controller (null without one).
  ControllerLink *link() const { return link_.get(); }
  /// Leaves the logical process gracefully (a server node's SIGTERM): the
  /// nodes that call this one are told to call elsewhere, the controller is
  /// told, and every request taken is answered (relays included) before the
  /// connections close; waits at most the call timeout. With \p move_late,
  /// the proclets that arrived before the callers stopped (created by one
  /// whose placement lease named this node) are moved away first.
  void leave(bool move_late = false);

  // Clients outside the logical process (Locate.cpp).
  /// Publishes \p address as this node's address for outside clients;
  /// peers learn it with their next heartbeat.
  void publish(std::string address);
  /// The address node \p node published ("": none, or not heard of yet).
  std::string published(NodeId node) const;
  /// Keeps the locations this node caches for \p ids current: each
  /// heartbeat asks the controller where they are.
  void watch(const std::vector<ProcletId> &ids);
  /// The nodes holding a backup of each of \p ids: every live node lists
  /// what it holds (all asked at once); a node that does not answer within
  /// the call timeout is left out.
  std::vector<std::vector<NodeId>>
  backup_locations(const std::vector<ProcletId> &ids);
  /// This node and its peers, sorted.
  std::vector<NodeId> nodes() const;
  /// Proclets hosted here.
  std::size_t proclet_count() const;
  /// Copies kept here as a backup of replicated proclets hosted elsewhere.
  std::size_t backup_count() const { return backups_.size(); }
  /// Runs \p task on the workers (inline once they have stopped).
  void submit(std::function<void()> task);

  // Calls.
  void send_request(ProcletId id, NodeId location, RequestKind kind,
                    std::uint64_t target, std::uint64_t aux, Bytes frame,
                    std::shared_ptr<CallState> state);
  void cancel_request(std::uint64_t request_id);

  // Proclets and references.
  NodeId place(const ProcletOptions &options);
  /// Hosts \p object, built in \p heap (from heaps(); 0: the shared one).
  Proxy *host(const ProcletType &type, void *object,
              const ProcletOptions &options, unsigned heap = 0);
  Proxy *create_remote(NodeId where, const ProcletType &type,
                       std::uint64_t ctor_id, const ProcletOptions &options,
                       Bytes frame);
  Proxy *adopt(ProcletId id, std::uint64_t type_id, NodeId location,
               std::uint64_t weight);
  /// A new reference to the proclet hosted here whose object is \p object.
  Proxy *self(const void *object, const std::type_info &cpp);
  std::uint64_t split(Proxy *proxy);
  void release(Proxy *proxy);
  std::shared_ptr<Slot> find_slot(ProcletId id) const;
  /// True if proclet \p id is hosted here and active.
  bool hosts(ProcletId id) const {
    auto slot = find_slot(id);
    return slot && slot->active();
  }

  // Migration (migrate/Migration.cpp, migrate/Transfer.cpp).
  /// Moves proclet \p id, hosted here, to node \p to; throws nu::Error
  /// saying why not (the proclet then stays here, active).
  MigrationStats migrate(ProcletId id, NodeId to);
  /// Has the node hosting \p id (last seen at \p location) move it.
  MigrationStats request_move(ProcletId id, NodeId location, NodeId to);
  /// What a drain did: proclets moved, and those still here.
  struct DrainResult {
    std::size_t moved = 0;
    std::size_t failed = 0; ///< still here: no room elsewhere, or a failure
    std::string first_error;
  };
  /// Moves the movable proclets hosted here, one at a time, to other nodes
  /// the controller picks, until each was tried or \p stop is requested.
  DrainResult drain_pass(std::stop_token stop = {});
  /// drain_pass(), for `nuctl drain`: how many moved; throws nu::Error if
  /// some could not.
  std::size_t drain();
  /// Before leave() on a stop: tells the controller to place nothing more
  /// here and refuses proclets moved here from then on, then drains this
  /// node, pass after pass (proclets may arrive meanwhile), until none is
  /// left, passes have moved nothing for a second or \p stop is requested.
  /// Returns what moved, and what could not (lost on leaving).
  DrainResult drain_before_leaving(std::stop_token stop);
  /// What a hosted proclet uses, for the migration policy.
  struct ProcletUsage {
    ProcletId id = 0;
    std::size_t bytes = 0;    ///< estimated size of its state
    std::uint64_t heap = 0;   ///< allocated from its heap (0: it has none)
    std::uint64_t cpu_ns = 0; ///< Slot::cpu_ns
    /// The memory it is charged: its heap's, else its state's size.
    std::uint64_t memory() const { return heap != 0 ? heap : bytes; }
  };
  /// The movable (not pinned, active) proclets hosted here.
  std::vector<ProcletUsage> movable_proclets() const;
  /// What `nuctl proclets` shows of this node (a kMoveList Move's reply).
  std::vector<wire::ProcletListing> list_proclets() const;
  /// Migrations out of this node so far.
  std::uint64_t migrations() const { return migrations_.load(); }
  /// The heaps of the proclets hosted here, and the bytes allocated from
  /// them now.
  HeapPool &heaps() { return heaps_; }
  std::uint64_t heap_bytes() const;
  /// State bytes of the proclets moved out of this node so far.
  std::uint64_t migrated_bytes() const { return migrated_bytes_.load(); }
  const std::vector<std::string> &args() const { return options_.args; }
  /// The memory this node may use (0: no limit), read by the monitor and
  /// reported to the controller.
  std::uint64_t mem_limit() const { return mem_limit_.load(); }
  void set_mem_limit(std::uint64_t bytes);

private:
  using Reply = std::function<void(Bytes)>;
  /// A request held while its proclet migrates.
  struct Parked {
    Bytes frame;
    Reply reply;
  };

  // Node.cpp: links and frames (the endpoint matches replies to calls).
  std::unique_ptr<rpc::Endpoint> make_endpoint();
  void start_serving();
  std::shared_ptr<net::Connection> connection(NodeId peer);
  void send_frame(NodeId to, Bytes frame);
  void on_request(const std::shared_ptr<net::Connection> &conn, Bytes frame);
  static bool may_serve(net::PeerRole role, const wire::FrameHeader &header);
  void refuse(net::Connection &conn, const wire::FrameHeader &header);
  void on_close(const std::shared_ptr<net::Connection> &conn);

  // NodeLeave.cpp: leaving gracefully, and peers that do.
  /// Counts one request this node has yet to answer while a copy lives.
  class Unanswered {
  public:
    explicit Unanswered(std::atomic<std::int64_t> &n) : n_(&n) {
      n_->fetch_add(1, std::memory_order_relaxed);
    }
    Unanswered(const Unanswered &other) : Unanswered(*other.n_) {}
    Unanswered(Unanswered &&other) noexcept
        : n_(std::exchange(other.n_, nullptr)) {}
    Unanswered &operator=(const Unanswered &) = delete;
    ~Unanswered() {
      if (n_)
        n_->fetch_sub(1, std::memory_order_release);
    }

  private:
    std::atomic<std::int64_t> *n_;
  };
  void note_caller(const std::shared_ptr<net::Connection> &conn,
                   const wire::FrameHeader &header);
  void go_away(const std::shared_ptr<net::Connection> &conn);
  void serve_go_away(const std::shared_ptr<net::Connection> &conn,
                     const wire::FrameHeader &header);
  std::vector<std::shared_ptr<net::Connection>> live_callers();
  void close_callers();
  void complete_call(CallState &state, Expected<Bytes> reply);
  /// What becomes of a request's reply (default: it completes the state).
  using Done = std::function<void(Expected<Bytes>)>;
  std::uint64_t request_rpc(NodeId to, wire::FrameHeader header, Bytes frame,
                            std::shared_ptr<CallState> state, Done done = {});
  void replay_call(const wire::FrameHeader &header, CallState &state);
  struct Retry;
  void send_retrying(const std::shared_ptr<Retry> &retry);
  void note_replicated(ProcletId id);
  bool known_replicated(ProcletId id) const;
  void relay_rpc(NodeId to, wire::FrameHeader header, Bytes frame, Reply relay);
  std::string unreachable(NodeId peer) const;
  NodeId relocated_from(ProcletId id, NodeId gone);
  bool knows(NodeId peer);
  void update_location(ProcletId id, NodeId location);
  std::vector<controller::ProcletReport> proclet_reports() const;

  // NodeRequests.cpp: serving requests. serve_* return false when the
  // proclet is not active here: the request is then relocated.
  void serve(Bytes frame, Reply reply);
  bool serve_call(const wire::FrameView &frame, const Reply &reply);
  static Bytes untagged(const wire::FrameHeader &request);
  static bool split_tag(std::span<const std::byte> &args,
                        std::optional<CallTag> &tag);
  Bytes invoke(Slot &slot, const wire::FrameHeader &h,
               std::span<const std::byte> args);
  void serve_create(const wire::FrameView &frame, const Reply &reply);
  bool serve_grant(const wire::FrameView &frame, const Reply &reply);
  bool serve_release(const wire::FrameView &frame);
  bool forward(const wire::FrameView &frame, const Reply &reply);
  void forward_to(NodeId to, const wire::FrameView &frame, const Reply &reply,
                  bool count_hop);

  // migrate/Migration.cpp: the source's side.
  void relocate(Bytes frame, Reply reply);
  std::shared_ptr<Slot> start_move(ProcletId id, NodeId to);
  std::shared_ptr<Slot>
  start_drained(ProcletId id, NodeId to,
                std::chrono::steady_clock::time_point &parked);
  bool drain_calls(const std::shared_ptr<Slot> &slot,
                   std::chrono::steady_clock::time_point until);
  void commit_move(const std::shared_ptr<Slot> &slot, NodeId to);
  void unlink(Slot &gone, NodeId to);
  void abort_move(const std::shared_ptr<Slot> &slot, bool sent);
  void retire(std::shared_ptr<Slot> slot);
  void serve_move(const wire::FrameView &frame, const Reply &reply);
  // migrate/Transfer.cpp: the state on the wire, both sides.
  SavedState save_state(const Slot &slot);
  void send_state(const Slot &slot, NodeId to, SavedState state,
                  bool copy = false);
  void serve_migrate(Bytes frame, const wire::FrameView &f, const Reply &reply);
  void activate(ProcletId id, const ProcletType &type, StateParts parts,
                const ChunkInfo &info);
  void settle(ProcletId id, const ProcletType &type, StateParts parts,
              const ChunkInfo &info);
  void *load_object(const ProcletType &type, StateParts parts,
                    ReplicaCarry *carry = nullptr, unsigned heap = 0);

  // replicate/Primary.cpp: a replicated proclet's primary.
  struct Broadcast {
    std::vector<NodeId> lost; // backups that did not answer
    bool stale = false;       // one said a newer primary took over
  };
  void start_replicas(const std::shared_ptr<Slot> &slot);
  void serve_replicated(const std::shared_ptr<Slot> &slot,
                        const wire::FrameView &f, const Reply &reply);
  static bool unacked(ReplicaSet &set, const CallTag &tag);
  void send_pending(const std::shared_ptr<PendingOp> &p, ReplicaOp op);
  void acked(const std::shared_ptr<PendingOp> &p);
  void finish(const std::shared_ptr<PendingOp> &p, Bytes reply);
  void repair(const std::shared_ptr<PendingOp> &p);
  void reseed(const Slot &slot, NodeId backup, std::uint64_t seq,
              std::vector<NodeId> &lost);
  wire::FrameHeader op_header(const Slot &slot) const;
  Bytes encode_op(ReplicaOp op) const;
  void stand_down_stale();
  std::string superseded(ProcletId id) const;
  void refuse(const std::shared_ptr<PendingOp> &p);
  bool send_meta(const std::shared_ptr<Slot> &slot, NodeId avoid = 0);
  bool short_of_backups(const ReplicaSet &set);
  Broadcast broadcast(const Slot &slot, ReplicaOp op);
  Broadcast broadcast_meta(const Slot &slot);
  void carry_replicas(const Slot &slot, NodeId to, SavedState &state);
  std::shared_ptr<Slot> host_moved(ProcletId id, const ProcletType &type,
                                   void *object, const ChunkInfo &info,
                                   ReplicaCarry carry);
  bool reconfigure(const std::shared_ptr<Slot> &slot, std::vector<NodeId> lost);
  bool fence(const std::shared_ptr<Slot> &slot, std::vector<NodeId> &lost);
  bool granted(const Slot &slot, std::uint64_t epoch);
  void add_backups(const Slot &slot, const std::vector<NodeId> &avoid);
  void seed(const Slot &slot, NodeId to);
  void stand_down(const std::shared_ptr<Slot> &slot);
  void replicate_weight(const std::shared_ptr<Slot> &slot, std::uint64_t added);
  void drop_backups(const Slot &slot);
  // replicate/Backup.cpp: copies kept for primaries elsewhere.
  void keep_copy(ProcletId id, const ProcletType &type, StateParts parts,
                 const ChunkInfo &info);
  void serve_replicate(const wire::FrameView &f, const Reply &reply);
  ReplicaAck apply(const std::shared_ptr<BackupCopy> &copy,
                   const wire::FrameHeader &h, ReplicaOp op);
  bool replay(BackupCopy &copy, ReplicaOp &op);
  void take_over(const std::set<NodeId> &gone);
  void claim(const std::shared_ptr<BackupCopy> &copy);
  std::uint64_t own_weight(ProcletId id, const ProcletType &type,
                           NodeId location);
  static Bytes unavailable(const wire::FrameHeader &request,
                           const std::string &why);

  // NodeProclets.cpp: slots, proxies, weights.
  std::shared_ptr<Slot> host_new(const ProcletType &type, void *object,
                                 const ProcletOptions &options, unsigned heap);
  std::shared_ptr<Slot> host_slot(const ProcletType &type, void *object,
                                  bool pinned, std::uint64_t weight,
                                  ProcletId id = 0, std::uint64_t epoch = 1,
                                  std::shared_ptr<ReplicaSet> replicas = {},
                                  unsigned heap = 0);
  Proxy *merge_proxy(ProcletId id, const ProcletType &type, NodeId location,
                     std::uint64_t weight);
  Proxy *new_proxy(ProcletId id, const ProcletType &type, NodeId location,
                   std::uint64_t weight);
  void return_weight(ProcletId id, NodeId location, std::uint64_t weight);
  void refresh_watched();
  void relocate_watched(ProcletId id, NodeId where);
  std::shared_ptr<Slot> subtract_weight(Slot &slot, std::uint64_t weight);
  void destroy(std::shared_ptr<Slot> slot);
  std::uint64_t grant(Proxy *proxy);
  ProcletId next_proclet_id();

  Options options_;
  std::unique_ptr<net::Transport> transport_;
  std::unique_ptr<rpc::Endpoint> endpoint_; // before transport_ goes
  std::string address_;
  std::unique_ptr<WorkerPool> pool_;
  Later later_{[this](std::function<void()> task) { submit(std::move(task)); }};

  mutable std::mutex peers_mu_;
  std::map<NodeId, std::string> peer_addresses_;
  std::map<NodeId, std::shared_ptr<net::Connection>> connections_;
  std::set<NodeId> departed_;      // peers the controller lists as gone
  std::set<NodeId> leaving_peers_; // peers that said GoAway: never again
  // Connections to peers that said GoAway, open until they close them.
  std::map<const net::Connection *, NodeId> draining_;
  std::string published_; // this node's, for outside clients
  std::map<NodeId, std::string> peer_published_;
  std::mutex watch_mu_;
  std::set<ProcletId> watched_;
  std::unique_ptr<ControllerLink> link_;
  // Until the constructor is done, requests wait here (start_serving).
  std::mutex early_mu_;
  std::atomic<bool> ready_{false};
  std::vector<std::function<void()>> early_;

  mutable std::shared_mutex slots_mu_;
  std::unordered_map<ProcletId, std::shared_ptr<Slot>> slots_;
  std::mutex proxies_mu_;
  std::unordered_map<ProcletId, Proxy *> proxies_;
  std::atomic<std::uint64_t> next_proclet_{1};
  std::atomic<bool> stopping_{false};
  // Leaving (NodeLeave.cpp): the connections nodes call this one on, and
  // whether they are being told to go away.
  std::mutex callers_mu_;
  std::unordered_map<const net::Connection *, std::weak_ptr<net::Connection>>
      callers_;
  bool leaving_ = false;               // under callers_mu_
  std::atomic<bool> departing_{false}; // drains to leave: takes no moves in
  std::atomic<std::int64_t> unanswered_{0}; // requests taken, not answered
  std::atomic<std::int64_t> unacked_{0};    // GoAways without an answer
  log::RateLimit refusals_; // lines about requests refused to a peer

  std::mutex moves_mu_; // parked_, moved_; before slots_mu_
  std::unordered_map<ProcletId, std::vector<Parked>> parked_;
  std::unordered_map<ProcletId, NodeId> moved_; // where they went
  std::deque<ProcletId> moved_order_;           // oldest first, bounded
  IncomingTransfers incoming_;                  // states arriving in chunks
  Backups backups_; // copies of replicated proclets hosted elsewhere
  mutable std::shared_mutex replicated_mu_;
  std::unordered_set<ProcletId> replicated_; // known to be, from replies
  std::atomic<std::uint64_t> next_call_{1};  // CallTag::call
  std::atomic<std::uint64_t> migrations_{0};
  std::atomic<std::uint64_t> migrated_bytes_{0};
  std::atomic<std::uint64_t> mem_limit_{0};
  HeapPool heaps_{options_.proclet_heaps};
};

/// A reference weight large enough to be split many times over.
inline constexpr std::uint64_t kInitialWeight = std::uint64_t{1} << 40;

} // namespace nu::detail
