// The controller service: ControllerCore behind a transport. Answers the
// Control frames of nodes and tools, expires silent nodes, pushes Exit.
#pragma once

#include "ControllerCore.hpp"
#include "Protocol.hpp"

#include "nu/net/transport.hpp"
#include "nu/wire/frame.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace nu::log {
class RateLimit;
} // namespace nu::log

namespace nu::controller {

struct ServiceOptions {
  ControllerOptions core;
  /// How often nodes send heartbeats (told to them at join).
  std::chrono::milliseconds heartbeat{500};
  std::string transport = "tcp";
  net::TransportOptions transport_options;
  /// A controller restarted for a running logical process: for this long
  /// it only takes rejoins (nodes reconnect at every heartbeat), refusing
  /// joins and id grants with Errc::recovering, so that nothing is handed
  /// out that a node which has not rejoined yet still holds.
  std::chrono::milliseconds recover_for{0};
};

/// Thread-safe; several services may live in one process.
///
/// A connection is bound to the node ids it joined or rejoined as, until it
/// closes. Requests about a node (Heartbeat, Leave, GrantIds, Register,
/// Unregister) are taken only from that node's connection, EndProcess only
/// from the main node's; Join, Place, Resolve and Status from any (the
/// main role only while no other main node is live). Refusals are
/// Errc::permission_denied (docs/wire.md, Controller protocol).
class Service {
public:
  /// Throws std::runtime_error if the transport does not exist.
  explicit Service(ServiceOptions options);
  ~Service();
  Service(const Service &) = delete;
  Service &operator=(const Service &) = delete;

  /// Starts accepting at \p address ("" lets the transport choose);
  /// returns the address to give to nodes.
  detail::Expected<std::string> listen(const std::string &address);
  ControllerCore &core() { return core_; }
  /// Stops the expiry thread and closes every connection; idempotent.
  void shutdown();

  using Conn = std::shared_ptr<net::Connection>;
  /// Serves one frame that arrived on \p conn, as the listening transport
  /// does; replies go to \p conn. For harnesses that carry frames
  /// themselves (the fuzzer).
  void on_frame(const Conn &conn, detail::Bytes frame);

private:
  detail::Bytes handle(const Conn &conn, const wire::FrameView &frame);
  detail::Bytes join(const Conn &conn, detail::Decoder &in);
  detail::Bytes rejoin(const Conn &conn, detail::Decoder &in);
  detail::Bytes heartbeat(const Conn &conn, detail::Decoder &in);
  detail::Bytes leave(const Conn &conn, detail::Decoder &in);
  detail::Bytes leaving(const Conn &conn, detail::Decoder &in);
  detail::Bytes place(detail::Decoder &in);
  detail::Bytes place_many(const Conn &conn, detail::Decoder &in);
  detail::Bytes grant_ids(const Conn &conn, detail::Decoder &in);
  detail::Bytes register_proclets(const Conn &conn, detail::Decoder &in);
  detail::Bytes unregister_proclets(const Conn &conn, detail::Decoder &in);
  detail::Bytes resolve(detail::Decoder &in);
  detail::Bytes resolve_many(detail::Decoder &in);
  detail::Bytes claim(const Conn &conn, detail::Decoder &in);
  detail::Bytes status();
  detail::Bytes end_process(const Conn &conn);

  // Who may ask what (see the class comment).
  bool bound(NodeId id, const Conn &conn) const;
  void bind(NodeId id, const Conn &conn, bool main);
  std::optional<Failure> check_bound(const Conn &conn, std::string_view what,
                                     NodeId id);
  std::optional<Failure> check_rejoin(const Conn &conn, NodeId id);
  std::optional<Failure> check_main(const Conn &conn, std::string_view what,
                                    NodeId id);
  Failure refuse(const Conn &conn, std::string message);
  Failure refused_node(const Conn &conn, std::string_view what,
                       const NodeHello &hello, const Failure &why);

  Membership membership();
  std::optional<Failure> recovering() const;
  void push_exit(NodeId except);
  void expire_loop();
  bool was_paused(Clock::time_point &last);
  void log(const std::string &line) const;
  void log_limited(const Conn &conn, const std::string &line) const;

  const ServiceOptions options_;
  const Clock::time_point recovered_at_;
  ControllerCore core_;
  std::unique_ptr<net::Transport> transport_;

  /// Lines a peer can cause (refusals, malformed frames), rate-limited.
  const std::unique_ptr<log::RateLimit> peer_lines_;
  /// Serializes joins and rejoins: the check that an id or the main role
  /// is free and the binding that takes it happen as one step.
  std::mutex claim_mu_;

  mutable std::mutex mu_;
  /// The connection each node joined or rejoined on, until it closes (a
  /// node that left or died stays bound: it is told so, not refused).
  std::map<NodeId, Conn> nodes_;
  NodeId main_node_ = 0;
  bool stopping_ = false;
  std::condition_variable stop_cv_;
  std::thread expirer_;
};

} // namespace nu::controller
