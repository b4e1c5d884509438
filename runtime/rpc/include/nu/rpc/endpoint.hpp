// One RPC endpoint over a transport: requests out, each reply accepted only
// from the connection its request went out on, deadlines, one-way posts.
#pragma once

#include "nu/net/transport.hpp"
#include "nu/wire/frame.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace nu::rpc {

using detail::Bytes;
using detail::Expected;
using detail::Failure;
using Clock = std::chrono::steady_clock;
using ConnectionPtr = std::shared_ptr<net::Connection>;

/// What a request's reply handler gets: the whole reply frame, or why none
/// will come -- std::errc::timed_out (the deadline passed),
/// connection_reset (the connection closed or failed), operation_canceled
/// (the endpoint shut down), or the transport's error sending it.
using ReplyHandler = std::function<void(Expected<Bytes>)>;

struct EndpointHandlers {
  /// A request (a frame that is not a reply), valid as a frame, on \p conn.
  std::function<void(const ConnectionPtr &conn, Bytes frame)> on_request;
  /// A connection of this endpoint closed; its calls are failed after this
  /// returns (unless the handler failed them with a message of its own).
  std::function<void(const ConnectionPtr &conn, std::error_code)> on_close;
  /// Which frames are replies (default: Result, Error, Unavailable).
  bool (*is_reply)(const wire::FrameHeader &) = nullptr;
  /// Tags the endpoint's log lines ("node 3", "controller client").
  std::string name = "endpoint";
};

/// Thread-safe. Handlers run on transport threads (or the deadline thread,
/// or the sender's, when sending fails) and must not block; each request's
/// handler runs exactly once. Handlers the owner passed must stay valid
/// until its transport is shut down or its connections are closed.
class Endpoint {
public:
  Endpoint(net::Transport &transport, EndpointHandlers handlers);
  /// Fails every call still waiting with operation_canceled.
  ~Endpoint();
  Endpoint(const Endpoint &) = delete;
  Endpoint &operator=(const Endpoint &) = delete;

  /// Accepts connections at \p address; returns the address to give out.
  Expected<std::string> listen(const std::string &address);
  Expected<ConnectionPtr> connect(const std::string &address);

  /// A request id unique in this endpoint (never 0).
  std::uint64_t new_request_id();
  /// Sends \p frame (header written here; a request_id of 0 gets a new
  /// one) on \p conn; \p done gets the reply that arrives on \p conn with
  /// that id, or the failure, by \p deadline. Returns the request id.
  std::uint64_t call(const ConnectionPtr &conn, wire::FrameHeader header,
                     Bytes frame, Clock::time_point deadline,
                     ReplyHandler done);
  /// call(), waiting for the outcome at most \p timeout.
  Expected<Bytes> call(const ConnectionPtr &conn, wire::FrameHeader header,
                       Bytes frame, std::chrono::milliseconds timeout);
  /// Sends a one-way frame (kOneWay set here).
  std::error_code post(const ConnectionPtr &conn, wire::FrameHeader header,
                       Bytes frame);
  /// Forgets request \p id: its handler never runs. False if it ran.
  bool cancel(std::uint64_t id);
  /// Fails the calls waiting on \p conn with \p why.
  void fail(const net::Connection &conn, const Failure &why);
  /// Fails every call waiting.
  void fail_all(const Failure &why);
  /// Calls waiting for a reply.
  std::size_t pending() const;

private:
  class Core;
  std::shared_ptr<Core> core_;
  net::Transport &transport_;
};

} // namespace nu::rpc
