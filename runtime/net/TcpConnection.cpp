// One TCP connection: queued sends leave in gather-writes, received bytes
// are cut into validated frames, and closing reports on_close once.
#include "net/Frame.hpp"
#include "net/TcpTransportImpl.hpp"

#include <chrono>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

namespace nu::net::tcp {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

// How the peer going away (or the link breaking) is reported.
std::error_code peer_error(std::error_code error) {
  if (error == asio::error::eof || error == asio::error::connection_reset ||
      error == asio::error::broken_pipe)
    return std::make_error_code(std::errc::connection_reset);
  return generic(error);
}

Failure truncated(std::size_t have, std::size_t need) {
  auto message =
      have < kHeaderSize
          ? "truncated frame: " + std::to_string(have) + " of " +
                std::to_string(kHeaderSize) + " header bytes"
          : "truncated frame: " + std::to_string(have - kHeaderSize) + " of " +
                std::to_string(need - kHeaderSize) + " payload bytes";
  return {std::make_error_code(std::errc::bad_message), std::move(message)};
}

constexpr std::chrono::microseconds kInlineGap{20};

} // namespace

TcpConnection::TcpConnection(std::shared_ptr<Core> core,
                             asio::ip::tcp::socket socket,
                             std::shared_ptr<const Handlers> handlers,
                             std::string peer)
    : core_(std::move(core)), socket_(std::move(socket)),
      strand_(asio::make_strand(core_->io())), handlers_(std::move(handlers)),
      peer_(std::move(peer)), fd_(socket_.native_handle()), rx_(kReadChunk) {}

std::error_code TcpConnection::send(Bytes frame) {
  const auto &options = core_->options();
  std::lock_guard lock(mutex_);
  if (closed_)
    return std::make_error_code(closed_by_us_ ? std::errc::not_connected
                                              : std::errc::connection_reset);
  if (queued_frames_ > 0 &&
      (queued_bytes_ + frame.size() > options.max_queued_bytes ||
       queued_frames_ >= options.max_queued_frames))
    return std::make_error_code(std::errc::no_buffer_space);
  auto now = std::chrono::steady_clock::now();
  bool sparse = now - last_send_ >= kInlineGap;
  last_send_ = now;
  if (!writing_ && sparse && options.inline_writes && write_now(frame))
    return {};
  queued_bytes_ += frame.size();
  ++queued_frames_;
  queue_.push_back(std::move(frame));
  if (writing_)
    return {}; // the write in flight picks it up when it completes
  writing_ = true;
  asio::post(strand_, [self = shared_from_this()] { self->write_batch(); });
  return {};
}

// With no write in flight and no other frame sent in the last kInlineGap
// (a lone request or reply, where latency matters), the sender's own thread
// writes what the socket takes at once, saving a wake-up of the I/O thread;
// frames sent in quick succession go to the I/O thread, which batches them.
// What is left, or an error, goes the asynchronous way. Runs under mutex_,
// which also keeps finish_close() from closing the descriptor meanwhile.
bool TcpConnection::write_now(Bytes &frame) {
  if (fd_ < 0)
    return false;
  ssize_t n =
      ::send(fd_, frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n <= 0)
    return false;
  writes_.fetch_add(1, std::memory_order_relaxed);
  if (static_cast<std::size_t>(n) == frame.size()) {
    frames_written_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  frame.erase(frame.begin(), frame.begin() + n);
  return false;
}

void TcpConnection::close() {
  if (!mark_closed({}, true))
    return;
  // What is queued still goes out; the socket closes once it has.
  asio::post(strand_, [self = shared_from_this()] {
    if (self->write_idle())
      self->finish_close();
  });
}

void TcpConnection::start() {
  asio::post(strand_, [self = shared_from_this()] { self->read_more(); });
}

void TcpConnection::abort(std::error_code error) {
  mark_closed(error, true);
  asio::post(strand_, [self = shared_from_this()] { self->finish_close(); });
}

// Records the first close; false if the connection was closed already.
bool TcpConnection::mark_closed(std::error_code error, bool by_us) {
  std::lock_guard lock(mutex_);
  if (closed_)
    return false;
  closed_ = true;
  closed_by_us_ = by_us;
  close_error_ = error;
  return true;
}

bool TcpConnection::write_idle() {
  std::lock_guard lock(mutex_);
  return !writing_;
}

// Sends everything queued so far in one gather-write.
void TcpConnection::write_batch() {
  if (finished_)
    return;
  {
    std::lock_guard lock(mutex_);
    batch_.swap(queue_);
  }
  buffers_.clear();
  for (const auto &frame : batch_)
    buffers_.push_back(asio::buffer(frame));
  writes_.fetch_add(1, std::memory_order_relaxed);
  frames_written_.fetch_add(batch_.size(), std::memory_order_relaxed);
  asio::async_write(
      socket_, buffers_,
      asio::bind_executor(strand_, [self = shared_from_this()](
                                       std::error_code error, std::size_t) {
        self->on_written(error);
      }));
}

void TcpConnection::on_written(std::error_code error) {
  if (finished_)
    return;
  if (error)
    return fail(peer_error(error));
  bool more = false;
  bool closing = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto &frame : batch_)
      queued_bytes_ -= frame.size();
    queued_frames_ -= batch_.size();
    more = !queue_.empty();
    writing_ = more;
    closing = closed_;
  }
  batch_.clear();
  if (more)
    return write_batch();
  if (closing)
    finish_close(); // close() was waiting for the queue to drain
}

void TcpConnection::read_more() {
  if (finished_)
    return;
  socket_.async_read_some(
      asio::buffer(rx_.data() + rx_end_, rx_.size() - rx_end_),
      asio::bind_executor(strand_,
                          [self = shared_from_this()](std::error_code error,
                                                      std::size_t bytes) {
                            self->on_read(error, bytes);
                          }));
}

void TcpConnection::on_read(std::error_code error, std::size_t bytes) {
  if (finished_)
    return;
  rx_end_ += bytes;
  if (error)
    return on_read_error(error, rx_end_ - rx_begin_);
  if (consume_frames())
    read_more();
}

// Delivers every whole frame buffered; false if reading continues
// elsewhere (a large frame) or stopped (a malformed one).
bool TcpConnection::consume_frames() {
  while (rx_end_ - rx_begin_ >= kHeaderSize) {
    std::span<const std::byte> have(rx_.data() + rx_begin_,
                                    rx_end_ - rx_begin_);
    auto header = parse_header(have.first(kHeaderSize));
    if (!header) {
      reject(header.failure());
      return false;
    }
    std::size_t need = kHeaderSize + header->payload_size;
    if (have.size() < need && need > rx_.size()) {
      read_big(have.size(), need);
      return false;
    }
    if (have.size() < need)
      break;
    rx_begin_ += need;
    deliver(Bytes(have.begin(), have.begin() + need));
  }
  std::memmove(rx_.data(), rx_.data() + rx_begin_, rx_end_ - rx_begin_);
  rx_end_ -= rx_begin_;
  rx_begin_ = 0;
  return true;
}

// Reads a frame larger than the read buffer straight into its own buffer.
void TcpConnection::read_big(std::size_t have, std::size_t need) {
  big_.resize(need);
  std::memcpy(big_.data(), rx_.data() + rx_begin_, have);
  big_have_ = have;
  rx_begin_ = rx_end_ = 0;
  asio::async_read(socket_, asio::buffer(big_.data() + have, need - have),
                   asio::bind_executor(
                       strand_, [self = shared_from_this()](
                                    std::error_code error, std::size_t bytes) {
                         self->on_big_read(error, bytes);
                       }));
}

void TcpConnection::on_big_read(std::error_code error, std::size_t bytes) {
  if (finished_)
    return;
  big_have_ += bytes;
  if (error)
    return on_read_error(error, big_have_);
  deliver(std::move(big_));
  big_ = Bytes();
  read_more();
}

// The read failed with \p have bytes of an unfinished frame buffered.
void TcpConnection::on_read_error(std::error_code error, std::size_t have) {
  if (error != asio::error::eof || have == 0)
    return fail(peer_error(error));
  std::size_t need = big_.empty() ? 0 : big_.size();
  if (need == 0 && have >= kHeaderSize)
    need = kHeaderSize +
           parse_header(std::span(rx_.data() + rx_begin_, kHeaderSize))
               ->payload_size;
  reject(truncated(have, need));
}

void TcpConnection::deliver(Bytes frame) {
  if (closed_)
    return; // closing: what still arrives is dropped
  if (handlers_->on_frame)
    handlers_->on_frame(shared_from_this(), std::move(frame));
}

// Closes the connection over a malformed frame, with one line on stderr.
void TcpConnection::reject(const Failure &failure) {
  if (!closed_)
    std::fprintf(stderr, "nu: closing connection %s: %s\n", peer_.c_str(),
                 failure.message.c_str());
  fail(failure.code);
}

void TcpConnection::fail(std::error_code error) {
  mark_closed(error, false);
  finish_close();
}

// Closes the socket and runs on_close, once.
void TcpConnection::finish_close() {
  if (finished_)
    return;
  finished_ = true;
  {
    std::lock_guard lock(mutex_);
    fd_ = -1; // no inline write may start on the descriptor from now on
  }
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  std::error_code error;
  {
    std::lock_guard lock(mutex_);
    error = close_error_;
    queue_.clear();
  }
  core_->forget(this);
  if (handlers_->on_close)
    handlers_->on_close(shared_from_this(), error);
}

} // namespace nu::net::tcp
