// A connection's buffers and steps (read, run, send), used the same way
// from an event loop and from a thread of its own.
#include "Connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kv {
namespace {

constexpr std::size_t kReadSize = 16 * 1024;
constexpr std::size_t kFlushAt = 1 << 20; // send before replies grow more

} // namespace

Connection::Connection(int fd, std::unique_ptr<Handler> handler)
    : fd_(fd), handler_(std::move(handler)), in_(kReadSize) {}

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
  int flags = ::fcntl(fd_, F_GETFL);
  ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  while (true) {
    bool more = run_requests(); // some may be left from the event loop
    if (!flush(true) || closing_)
      return;
    if (!more && !read_some(true))
      return;
  }
}

/// Reads once; false when the peer is gone or (nonblocking) nothing came.
bool Connection::read_some(bool blocking) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (in_.size() > 4 * kReadSize) // let a big request's memory go
      in_ = std::vector<char>(kReadSize);
  }
  std::size_t need = std::max(end_ - begin_ + kReadSize, parser_.wanted());
  if (in_.size() - begin_ < need) {
    std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (in_.size() < need)
      in_.resize(std::max(need, 2 * in_.size()));
  }
  while (true) {
    ssize_t n = ::recv(fd_, in_.data() + end_, in_.size() - end_,
                       blocking ? 0 : MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    would_block_ = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (n <= 0)
      return false;
    end_ += static_cast<std::size_t>(n);
    return true;
  }
}

/// Runs the complete requests read; true if it stopped with some left
/// because the replies grew large.
bool Connection::run_requests() {
  RespWriter out(replies_);
  while (begin_ < end_ && !closing_) {
    if (replies_.size() >= kFlushAt)
      return true;
    auto status = parser_.parse({in_.data() + begin_, end_ - begin_});
    if (status == RespParser::Status::Incomplete)
      break;
    if (status == RespParser::Status::Error) {
      out.error("ERR " + parser_.error());
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
