// One client connection: the bytes read and not yet run, the replies not
// yet sent, served from an event loop (nonblocking) or by a thread.
#pragma once

#include "Limits.hpp"
#include "Resp.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

/// Runs requests for a connection (the server's is a Session).
class Handler {
public:
  virtual ~Handler() = default;
  /// Runs one request (\p args not empty), appending its reply to \p out.
  virtual void execute(const std::vector<std::string_view> &args,
                       RespWriter &out) = 0;
  /// True when the connection should close after the replies so far.
  virtual bool quit() const = 0;
  /// True once its requests are known to wait (they reach other nodes):
  /// the connection is better served by a thread of its own.
  virtual bool slow() { return false; }
};

/// A client connection. Every complete request that arrived runs in
/// order (pipelining); their replies go out with one write. A protocol
/// error is replied to, then the connection ends; so does (with no reply)
/// a request that outgrows the query buffer limit or stalls half sent.
class Connection {
public:
  using Clock = std::chrono::steady_clock;

  /// Takes \p fd (closed with the connection). \p limits: its
  /// max_query_buffer and partial_timeout.
  Connection(int fd, std::unique_ptr<Handler> handler,
             const Limits &limits = {});
  ~Connection();
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  int fd() const { return fd_; }

  enum class Status { Open, Closed, Slow };
  /// For an event loop, when the socket is readable: reads once, runs the
  /// requests, sends the replies, without blocking on the socket. Slow: a
  /// write would block or the handler is slow(); serve it with
  /// serve_blocking() from now on.
  Status serve_ready();

  /// Serves until the client leaves, quits or errs, stalls half way
  /// through a request, or the socket is shut down, blocking on the socket
  /// (which it makes blocking).
  void serve_blocking();

  /// For an event loop, now and then: true (and logged) when part of a
  /// request has waited longer than the partial-request timeout for more
  /// bytes at \p now; the connection should then be closed.
  bool expired(Clock::time_point now) const;

  /// The size of its input buffer: it grows with the bytes that arrived,
  /// never with the length a request announces.
  std::size_t buffer_capacity() const { return in_size_; }

private:
  bool read_some(bool blocking);
  void make_room();
  bool run_requests();
  bool flush(bool blocking);
  void log_stalled() const;

  int fd_;
  std::unique_ptr<Handler> handler_;
  Limits limits_;
  std::unique_ptr<char[]> in_; // in_[begin_, end_): read, not yet run
  std::size_t in_size_;
  std::size_t begin_ = 0, end_ = 0;
  Clock::time_point last_read_; // when bytes last arrived
  RespParser parser_;
  std::string replies_;
  std::size_t sent_ = 0; // of replies_
  bool closing_ = false;
  bool would_block_ = false;
};

} // namespace kv
