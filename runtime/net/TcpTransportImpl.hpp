// Internals of the TCP transport shared by its source files: a transport's
// core (io_context, I/O threads, listeners, limits) and one connection.
#pragma once

#include "Tls.hpp"
#include "nu/log/log.hpp"
#include "nu/net/tcp_transport.hpp"

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace nu::net::tcp {

using detail::Failure;
using Strand = asio::strand<asio::io_context::executor_type>;

class TcpConnection;

// Where the first half of a large frame waits until the frame has earned a
// buffer of its full size; 256 KiB, not zero-filled.
using Chunk = std::unique_ptr<std::byte[]>;
constexpr std::size_t kChunkSize = 256 * 1024;

// Asio's system errors as std::generic_category codes (std::errc compares).
inline std::error_code generic(std::error_code error) {
  if (error.category() == asio::system_category())
    return {error.value(), std::generic_category()};
  return error;
}

// The steady clock in nanoseconds, as connections record progress.
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A transport's shared state; I/O threads and connections keep it alive.
class Core : public std::enable_shared_from_this<Core> {
public:
  // With \p tls, every connection is TLS.
  Core(unsigned threads, TcpOptions options,
       std::shared_ptr<const TlsConfig> tls);
  ~Core();
  void start();
  Expected<std::string> listen(const std::string &address, Handlers handlers);
  Expected<std::shared_ptr<Connection>> connect(const std::string &address,
                                                Handlers handlers);
  void shutdown();

  asio::io_context &io() { return io_; }
  const TcpOptions &options() const { return options_; }
  // The TLS context of the connections; null without TLS.
  asio::ssl::context *tls() const { return tls_ ? &tls_->context() : nullptr; }
  void forget(const TcpConnection *connection);
  // Moves a connection's bytes of incomplete frames from \p from to \p to;
  // false (and nothing moved) if that goes past max_buffered_bytes.
  bool rebuffer(std::size_t from, std::size_t to);
  // Chunks come from, and go back to, a few spares kept for reuse.
  Chunk take_chunk();
  void give_back(std::vector<Chunk> &chunks);
  // For lines a peer can trigger.
  template <class... Args>
  void warn(spdlog::format_string_t<Args...> format, Args &&...args) {
    nu::log::limited(log_limit_, log_, nu::log::Level::warn, format,
                     std::forward<Args>(args)...);
  }

private:
  struct Listener;
  void accept(const std::shared_ptr<Listener> &listener);
  void on_accept_error(const std::shared_ptr<Listener> &listener,
                       std::error_code error);
  void accepted(const std::shared_ptr<Listener> &listener,
                asio::ip::tcp::socket socket);
  bool admit();
  void release_slot();
  bool adopt(const std::shared_ptr<TcpConnection> &connection);
  void arm_sweep();
  void sweep();
  void join_threads();

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      work_;
  TcpOptions options_;
  std::shared_ptr<const TlsConfig> tls_;
  unsigned thread_count_;
  std::mutex join_mutex_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::unordered_map<const TcpConnection *, std::shared_ptr<TcpConnection>>
      open_;
  std::size_t accepted_open_ = 0; // slots taken by admit()

  std::atomic<std::size_t> buffered_{0}; // bytes of incomplete frames
  std::mutex chunk_mutex_;
  std::vector<Chunk> spare_chunks_;
  Strand sweep_strand_;
  asio::steady_timer sweep_timer_; // on sweep_strand_
  spdlog::logger &log_;
  nu::log::RateLimit log_limit_;
};

// One TCP connection. Socket work runs on its strand; send() writes inline
// when the socket is idle, else queues (under mutex_) for the strand. With
// TLS, frames wait in the queue until the TLS handshake is done, and go
// through the TLS stream (never inline).
class TcpConnection final : public Connection,
                            public std::enable_shared_from_this<TcpConnection> {
public:
  TcpConnection(std::shared_ptr<Core> core, asio::ip::tcp::socket socket,
                std::shared_ptr<const Handlers> handlers, std::string peer,
                bool accepted);

  std::error_code send(Bytes frame) override;
  void close() override;
  const std::string &peer_address() const override { return peer_; }

  // Starts reading (after the TLS handshake, with TLS).
  void start();
  // Closes now, dropping queued frames; on_close sees \p error.
  void abort(std::error_code error);
  TcpStats stats() const { return {frames_written_, writes_}; }
  // True if a listener accepted it (it counts toward max_connections).
  bool accepted() const { return accepted_; }
  // Closes the connection if it is past a timeout at \p now (now_ns()).
  void sweep(std::int64_t now);

private:
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket &>;
  // Runs \p f on the stream frames travel on: TLS, or the socket.
  template <class F> void with_stream(F &&f) {
    if (tls_)
      f(*tls_);
    else
      f(socket_);
  }
  void handshake();
  void on_handshake(std::error_code error);
  bool mark_closed(std::error_code error, bool by_us);
  bool write_idle();
  bool write_now(Bytes &frame);
  void write_batch();
  void on_written(std::error_code error);
  void read_more();
  void on_read(std::error_code error, std::size_t bytes);
  void progress(std::size_t bytes);
  bool consume_frames();
  bool hold(std::size_t bytes);
  void read_big(std::size_t have, std::size_t need);
  void read_big_more();
  asio::mutable_buffer big_room();
  void make_whole();
  void on_big_read(std::error_code error, std::size_t bytes);
  void expire(std::string_view what, std::int64_t quiet);
  void on_read_error(std::error_code error, std::size_t have);
  void deliver(Bytes frame);
  void reject(const Failure &failure);
  void fail(std::error_code error);
  void linger();
  void finish_close();

  std::shared_ptr<Core> core_;
  asio::ip::tcp::socket socket_;
  const std::unique_ptr<TlsStream> tls_; // over socket_; null: plain TCP
  Strand strand_;
  std::shared_ptr<const Handlers> handlers_;
  std::string peer_;
  const bool accepted_;

  // Shared with senders, under mutex_.
  std::mutex mutex_;
  std::vector<Bytes> queue_;
  std::size_t queued_bytes_ = 0; // queue_ and batch_
  std::size_t queued_frames_ = 0;
  bool writing_ = false;
  int fd_ = -1; // the socket's descriptor; -1 once it is being closed
  std::chrono::steady_clock::time_point last_send_;
  bool closed_by_us_ = false;
  std::error_code close_error_;
  std::atomic<bool> closed_{false};

  // Strand only.
  std::vector<Bytes> batch_;
  std::vector<asio::const_buffer> buffers_;
  bool finished_ = false;
  asio::steady_timer linger_timer_; // a close we asked for: see linger()
  Bytes rx_;
  std::size_t rx_begin_ = 0;
  std::size_t rx_end_ = 0;
  // A frame larger than the read buffer: in chunks_ until half of it is
  // in, then in big_, of its full size.
  std::vector<Chunk> chunks_;
  Bytes big_;
  std::size_t big_have_ = 0;
  std::size_t big_need_ = 0; // 0: no such frame
  std::size_t buffered_ = 0; // bytes of an incomplete frame, wherever

  // Read by the sweep: when bytes last arrived or a frame was last sent
  // (now_ns()), and whether part of a frame is buffered.
  std::atomic<std::int64_t> last_received_;
  std::atomic<std::int64_t> last_sent_;
  // Part of a frame is buffered, or the TLS handshake is under way: the
  // partial-frame timeout applies.
  std::atomic<bool> partial_{false};

  std::atomic<std::uint64_t> frames_written_{0};
  std::atomic<std::uint64_t> writes_{0};
};

} // namespace nu::net::tcp
