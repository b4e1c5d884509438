// The Asio TCP transport: frames over TCP, with adaptive batching, bounds
// on what connections may queue and buffer, and timeouts (docs/wire.md).
#pragma once

#include "nu/net/transport.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace nu::net {

/// Settings of the TCP transport beyond TransportOptions.
struct TcpOptions {
  /// send() fails with no_buffer_space while a connection has this many
  /// bytes queued or being written (a frame into an empty queue always fits).
  std::size_t max_queued_bytes = std::size_t{64} << 20;
  /// The same bound counted in frames.
  std::size_t max_queued_frames = 16384;
  /// send() on an idle connection, unless frames follow each other within
  /// 20 us, writes from the caller's thread what the socket takes at once,
  /// instead of waking the I/O thread for it.
  bool inline_writes = true;
  /// How long connect() waits for the peer to accept.
  std::chrono::milliseconds connect_timeout{5000};
  /// Bytes received, over all connections, of frames not yet complete;
  /// the connection whose bytes would go beyond it is closed.
  std::size_t max_buffered_bytes = std::size_t{1} << 30;
  /// A connection holding part of a frame and receiving nothing for this
  /// long is closed (0: never).
  std::chrono::milliseconds partial_frame_timeout{10000};
  /// A connection that neither receives nor sends anything for this long
  /// is closed (0: never, the default: nodes keep idle links open).
  std::chrono::milliseconds idle_timeout{0};
  /// Accepted connections open at once; beyond it a new one is closed as
  /// soon as it is accepted (0: no limit).
  std::size_t max_connections = 4096;
};

/// Counters of one TCP connection (all zero for other transports').
struct TcpStats {
  std::uint64_t frames_written = 0; ///< frames handed to the socket
  std::uint64_t writes = 0;         ///< gather-writes that carried them
};

/// The TCP transport with default TcpOptions (the "tcp" list entry).
std::unique_ptr<Transport> make_tcp_transport(const TransportOptions &options);
/// The TCP transport with explicit TcpOptions.
std::unique_ptr<Transport> make_tcp_transport(const TransportOptions &options,
                                              const TcpOptions &tcp);
/// The counters of \p connection if it is a TCP connection.
TcpStats tcp_stats(const Connection &connection);

} // namespace nu::net
