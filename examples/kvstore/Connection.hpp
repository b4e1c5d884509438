// One client connection: the bytes read and not yet run, the replies not
// yet sent, served from an event loop (nonblocking) or by a thread.
#pragma once

#include "Resp.hpp"

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
/// error is replied to, then the connection ends.
class Connection {
public:
  /// Takes \p fd (closed with the connection).
  Connection(int fd, std::unique_ptr<Handler> handler);
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

  /// Serves until the client leaves, quits or errs, or the socket is shut
  /// down, blocking on the socket (which it makes blocking).
  void serve_blocking();

private:
  bool read_some(bool blocking);
  bool run_requests();
  bool flush(bool blocking);

  int fd_;
  std::unique_ptr<Handler> handler_;
  std::vector<char> in_; // in_[begin_, end_): read, not yet run
  std::size_t begin_ = 0, end_ = 0;
  RespParser parser_;
  std::string replies_;
  std::size_t sent_ = 0; // of replies_
  bool closing_ = false;
  bool would_block_ = false;
};

} // namespace kv
