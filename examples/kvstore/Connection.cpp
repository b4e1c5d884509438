// A connection's buffers and steps (read, run, send), used the same way
// from an event loop and from a thread of its own.
#include "Connection.hpp"

#include "Log.hpp"
#include "Socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace kv {
namespace {

constexpr std::size_t kReadSize = 16 * 1024;
constexpr std::size_t kFlushAt = 1 << 20; // send before replies grow more

std::unique_ptr<char[]> buffer(std::size_t size) {
  return std::make_unique_for_overwrite<char[]>(size);
}

void log_closed(LogKind kind, int fd, const std::string &why) {
  log_limited(kind, "closed client " + peer_name(fd) + ": " + why);
}

/// Makes \p fd blocking, its reads failing with EAGAIN after \p timeout
/// without data (0: no timeout).
void make_blocking(int fd, std::chrono::milliseconds timeout) {
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  if (timeout.count() <= 0)
    return;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

} // namespace

Connection::Connection(int fd, std::unique_ptr<Handler> handler,
                       const Limits &limits)
    : fd_(fd), handler_(std::move(handler)), limits_(limits),
      in_(buffer(kReadSize)), in_size_(kReadSize), last_read_(Clock::now()) {}

Connection::~Connection() { ::close(fd_); }

Connection::Status Connection::serve_ready() {
  if (!read_some(false))
    return would_block_ ? Status::Open : Status::Closed;
  while (true) {
    bool more = run_requests();
    if (!flush(false))
      return would_block_ ? Status::Slow : Status::Closed;
    if (closing_)
      return Status::Closed;
    if (!more)
      break;
  }
  return handler_->slow() ? Status::Slow : Status::Open;
}

void Connection::serve_blocking() {
  make_blocking(fd_, limits_.partial_timeout);
  while (true) {
    bool more = run_requests(); // some may be left from the event loop
    if (!flush(true) || closing_)
      return;
    if (more || read_some(true))
      continue;
    if (!would_block_)
      return;            // the peer is gone
    if (begin_ < end_) { // the read timed out half way through a request
      log_stalled();
      return;
    }
  }
}

bool Connection::expired(Clock::time_point now) const {
  if (limits_.partial_timeout.count() <= 0 || begin_ == end_ ||
      now - last_read_ < limits_.partial_timeout)
    return false;
  log_stalled();
  return true;
}

void Connection::log_stalled() const {
  log_closed(LogKind::Stalled, fd_,
             "part of a request, then nothing for " +
                 std::to_string(limits_.partial_timeout.count()) +
                 " ms (--partial-timeout-ms)");
}

/// Reads once; false when the peer is gone or (nonblocking) nothing came.
bool Connection::read_some(bool blocking) {
  make_room();
  while (true) {
    ssize_t n = ::recv(fd_, in_.get() + end_, in_size_ - end_,
                       blocking ? 0 : MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    would_block_ = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (n <= 0)
      return false;
    end_ += static_cast<std::size_t>(n);
    last_read_ = Clock::now();
    return true;
  }
}

/// Makes room to read kReadSize more bytes: moves the unconsumed ones to
/// the front, into a buffer twice as big (at most the query buffer limit)
/// if need be. The buffer only grows with bytes that arrived: never with
/// the length a request announces.
void Connection::make_room() {
  std::size_t kept = end_ - begin_;
  if (kept == 0) {
    begin_ = end_ = 0;
    if (in_size_ > 4 * kReadSize) { // let a big request's memory go
      in_ = buffer(kReadSize);
      in_size_ = kReadSize;
    }
  }
  if (in_size_ - end_ >= kReadSize)
    return;
  if (in_size_ - kept >= kReadSize) {
    std::memmove(in_.get(), in_.get() + begin_, kept);
  } else {
    std::size_t most = limits_.max_query_buffer + kReadSize;
    std::size_t size = std::max(kept + kReadSize, std::min(2 * in_size_, most));
    auto bigger = buffer(size);
    std::memcpy(bigger.get(), in_.get() + begin_, kept);
    in_ = std::move(bigger);
    in_size_ = size;
  }
  begin_ = 0;
  end_ = kept;
}

/// Runs the complete requests read; true if it stopped with some left
/// because the replies grew large.
bool Connection::run_requests() {
  RespWriter out(replies_);
  while (begin_ < end_ && !closing_) {
    if (replies_.size() >= kFlushAt)
      return true;
    auto status = parser_.parse({in_.get() + begin_, end_ - begin_});
    if (status == RespParser::Status::Incomplete) {
      closing_ = end_ - begin_ > limits_.max_query_buffer;
      if (closing_) // as Redis does, with no reply
        log_closed(LogKind::QueryBuffer, fd_,
                   "more than " + std::to_string(limits_.max_query_buffer) +
                       " bytes of an incomplete request "
                       "(--max-query-buffer)");
      break;
    }
    if (status == RespParser::Status::Error) {
      out.error("ERR " + parser_.error());
      log_closed(LogKind::Protocol, fd_,
                 "replied 'ERR " + parser_.error() + "'");
      closing_ = true;
      break;
    }
    begin_ += parser_.consumed();
    if (!parser_.args().empty())
      handler_->execute(parser_.args(), out);
    closing_ = handler_->quit();
  }
  return false;
}

/// Sends the replies; false if the peer is gone or (nonblocking) the rest
/// would block.
bool Connection::flush(bool blocking) {
  while (sent_ < replies_.size()) {
    ssize_t n = ::send(fd_, replies_.data() + sent_, replies_.size() - sent_,
                       MSG_NOSIGNAL | (blocking ? 0 : MSG_DONTWAIT));
    if (n < 0 && errno == EINTR)
      continue;
    would_block_ = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (n <= 0)
      return false;
    sent_ += static_cast<std::size_t>(n);
  }
  replies_.clear();
  sent_ = 0;
  return true;
}

} // namespace kv
