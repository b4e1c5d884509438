// One TCP connection, plain or TLS: queued sends leave in gather-writes,
// received bytes are cut into validated frames (buffers growing only as
// bytes arrive), and closing reports on_close once.
#include "TcpTransportImpl.hpp"
#include "nu/wire/frame.hpp"

#include <chrono>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace nu::net::tcp {
namespace {

using wire::kHeaderSize;
using wire::parse_header;

// The read buffer starts small (an idle connection costs little) and
// doubles, up to kReadChunk, each time a read fills it.
constexpr std::size_t kFirstRead = 4 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;
static_assert(kReadChunk <= kChunkSize); // a full read buffer fits a chunk

// The peer ended the stream (over TLS, possibly without close_notify).
bool is_eof(std::error_code error) {
  return error == asio::error::eof ||
         error == asio::ssl::error::stream_truncated;
}

// How the peer going away (or the link breaking) is reported.
std::error_code peer_error(std::error_code error) {
  if (is_eof(error) || error == asio::error::connection_reset ||
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
constexpr std::chrono::seconds kLinger{2};

// True if \p timeout is on and at least that long has passed since \p since.
bool past(std::int64_t now, std::int64_t since,
          std::chrono::milliseconds timeout) {
  return timeout.count() > 0 &&
         now - since >= std::chrono::nanoseconds(timeout).count();
}

} // namespace

TcpConnection::TcpConnection(std::shared_ptr<Core> core,
                             asio::ip::tcp::socket socket,
                             std::shared_ptr<const Handlers> handlers,
                             std::string peer, bool accepted)
    : core_(std::move(core)), socket_(std::move(socket)),
      tls_(core_->tls() ? std::make_unique<TlsStream>(socket_, *core_->tls())
                        : nullptr),
      strand_(asio::make_strand(core_->io())), handlers_(std::move(handlers)),
      peer_(std::move(peer)), accepted_(accepted),
      writing_(tls_ != nullptr), // frames wait for the TLS handshake
      fd_(socket_.native_handle()), linger_timer_(strand_), rx_(kFirstRead),
      last_received_(now_ns()), last_sent_(last_received_.load()) {
  partial_.store(tls_ != nullptr); // the TLS handshake must finish in time
}

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
  last_sent_.store(std::chrono::nanoseconds(now.time_since_epoch()).count(),
                   std::memory_order_relaxed);
  if (!writing_ && sparse && options.inline_writes && !tls_ && write_now(frame))
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
      self->linger();
  });
}

void TcpConnection::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->tls_)
      self->handshake();
    else
      self->read_more();
  });
}

void TcpConnection::handshake() {
  auto side = accepted_ ? asio::ssl::stream_base::server
                        : asio::ssl::stream_base::client;
  tls_->async_handshake(
      side, asio::bind_executor(
                strand_, [self = shared_from_this()](std::error_code error) {
                  self->on_handshake(error);
                }));
}

// A failed TLS handshake closes the connection with one (rate-limited)
// line; a good one starts reading and sends what was queued meanwhile.
void TcpConnection::on_handshake(std::error_code error) {
  if (finished_)
    return;
  if (error) {
    bool plain = error.category() == asio::error::get_ssl_category() &&
                 ERR_GET_REASON(error.value()) == SSL_R_WRONG_VERSION_NUMBER;
    core_->warn("closing connection {}: TLS handshake failed: {}{}", peer_,
                error.message(),
                plain ? " (the peer does not use TLS, this side does)" : "");
    return fail(std::make_error_code(std::errc::permission_denied));
  }
  partial_.store(false, std::memory_order_release);
  progress(1); // the handshake's bytes came
  read_more();
  on_written({}); // no batch was out: this sends the queue, or closes
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
  with_stream([&](auto &stream) {
    asio::async_write(
        stream, buffers_,
        asio::bind_executor(strand_, [self = shared_from_this()](
                                         std::error_code error, std::size_t) {
          self->on_written(error);
        }));
  });
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
    linger(); // close() was waiting for the queue to drain
}

// A close we asked for, once what was queued is written: the peer gets
// FIN, and the descriptor stays open until the peer closes too (or
// kLinger passes). Closing it at once would make the kernel answer bytes
// the peer still sends (a TLS session ticket, a frame in flight) with a
// reset, and the peer's kernel would drop what we sent and it had not
// read yet. Reading goes on meanwhile; what arrives is dropped.
void TcpConnection::linger() {
  if (finished_)
    return;
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  linger_timer_.expires_after(kLinger);
  linger_timer_.async_wait([self = shared_from_this()](std::error_code error) {
    if (!error)
      self->finish_close();
  });
}

void TcpConnection::read_more() {
  if (finished_)
    return;
  with_stream([&](auto &stream) {
    stream.async_read_some(
        asio::buffer(rx_.data() + rx_end_, rx_.size() - rx_end_),
        asio::bind_executor(strand_,
                            [self = shared_from_this()](std::error_code error,
                                                        std::size_t bytes) {
                              self->on_read(error, bytes);
                            }));
  });
}

void TcpConnection::on_read(std::error_code error, std::size_t bytes) {
  if (finished_)
    return;
  rx_end_ += bytes;
  progress(bytes);
  if (error)
    return on_read_error(error, rx_end_ - rx_begin_);
  bool filled = rx_end_ == rx_.size();
  if (!consume_frames())
    return;
  if (filled && rx_.size() < kReadChunk)
    rx_.resize(2 * rx_.size());
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
    if (have.size() < need && have.size() == kReadChunk) {
      read_big(have.size(), need); // rx_ holds only this frame, and is full
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
  return hold(rx_end_);
}

// Records that bytes arrived, for the sweep's timeouts.
void TcpConnection::progress(std::size_t bytes) {
  if (bytes > 0)
    last_received_.store(now_ns(), std::memory_order_relaxed);
}

// Records that \p bytes of an incomplete frame are buffered; false, after
// closing the connection, if the transport's bound on them is reached.
bool TcpConnection::hold(std::size_t bytes) {
  partial_.store(bytes > 0, std::memory_order_release); // after progress()
  if (bytes == buffered_ || core_->rebuffer(buffered_, bytes)) {
    buffered_ = bytes;
    return true;
  }
  core_->warn("closing connection {}: {} bytes of an incomplete frame would "
              "exceed max_buffered_bytes ({})",
              peer_, bytes, core_->options().max_buffered_bytes);
  fail(std::make_error_code(std::errc::no_buffer_space));
  return false;
}

// Reads a frame larger than the read buffer. Its bytes go to chunks until
// half of it is in; then to a buffer of its full size, straight from the
// socket. Memory follows what arrives, never what a header claims.
void TcpConnection::read_big(std::size_t have, std::size_t need) {
  chunks_.push_back(core_->take_chunk());
  std::memcpy(chunks_.back().get(), rx_.data() + rx_begin_, have);
  big_have_ = have; // have == kReadChunk <= kChunkSize
  big_need_ = need;
  rx_begin_ = rx_end_ = 0;
  if (hold(have))
    read_big_more();
}

// Reads what the socket has, up to the end of the frame.
void TcpConnection::read_big_more() {
  if (big_.empty() && big_need_ <= 2 * big_have_)
    make_whole();
  with_stream([&](auto &stream) {
    stream.async_read_some(
        big_room(), asio::bind_executor(
                        strand_, [self = shared_from_this()](
                                     std::error_code error, std::size_t bytes) {
                          self->on_big_read(error, bytes);
                        }));
  });
}

// Where the frame's next bytes go: its own buffer, or the last chunk.
asio::mutable_buffer TcpConnection::big_room() {
  auto left = big_need_ - big_have_;
  if (!big_.empty())
    return asio::buffer(big_.data() + big_have_, left);
  auto fill = big_have_ % kChunkSize;
  if (fill == 0)
    chunks_.push_back(core_->take_chunk());
  return asio::buffer(chunks_.back().get() + fill,
                      std::min(kChunkSize - fill, left));
}

// Moves the frame from its chunks into a buffer of its full size.
void TcpConnection::make_whole() {
  big_.resize(big_need_);
  for (std::size_t i = 0; i < chunks_.size(); ++i) {
    auto at = i * kChunkSize;
    std::memcpy(big_.data() + at, chunks_[i].get(),
                std::min(kChunkSize, big_have_ - at));
  }
  core_->give_back(chunks_);
}

void TcpConnection::on_big_read(std::error_code error, std::size_t bytes) {
  if (finished_) {
    big_ = Bytes(); // the read is over: its buffers can go
    return core_->give_back(chunks_);
  }
  big_have_ += bytes;
  progress(bytes);
  if (error)
    return on_read_error(error, big_have_);
  if (big_have_ < big_need_) {
    if (hold(big_have_))
      read_big_more();
    return;
  }
  if (big_.empty())
    make_whole();
  hold(0);
  big_need_ = big_have_ = 0;
  deliver(std::exchange(big_, Bytes()));
  read_more();
}

// The read failed with \p have bytes of an unfinished frame buffered.
void TcpConnection::on_read_error(std::error_code error, std::size_t have) {
  if (!is_eof(error) || have == 0)
    return fail(peer_error(error));
  std::size_t need = big_need_;
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

// Closes the connection over a malformed frame, with one (rate-limited)
// line in the log.
void TcpConnection::reject(const Failure &failure) {
  if (!closed_)
    core_->warn("closing connection {}: {}", peer_, failure.message);
  fail(failure.code);
}

// From the core's sweep, on any thread.
void TcpConnection::sweep(std::int64_t now) {
  const auto &options = core_->options();
  bool partial = partial_.load(std::memory_order_acquire);
  auto received = last_received_.load(std::memory_order_relaxed);
  auto sent = last_sent_.load(std::memory_order_relaxed);
  if (partial && past(now, received, options.partial_frame_timeout))
    return expire("no progress on a partial frame for", now - received);
  auto active = std::max(received, sent);
  if (past(now, active, options.idle_timeout))
    return expire("idle for", now - active);
}

// Closes the connection over a timeout, \p quiet ns without progress.
void TcpConnection::expire(std::string_view what, std::int64_t quiet) {
  core_->warn("closing connection {}: {} {} ms", peer_, what, quiet / 1000000);
  abort(std::make_error_code(std::errc::timed_out));
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
  linger_timer_.cancel();
  {
    std::lock_guard lock(mutex_);
    fd_ = -1; // no inline write may start on the descriptor from now on
  }
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  hold(0);
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
