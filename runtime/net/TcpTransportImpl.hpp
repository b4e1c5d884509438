// Internals of the TCP transport shared by its source files: a transport's
// core (io_context, I/O threads, listeners) and one connection.
#pragma once

#include "net/TcpTransport.hpp"

#include <asio.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace nu::net::tcp {

using detail::Failure;
using Strand = asio::strand<asio::io_context::executor_type>;

class TcpConnection;

// Asio's system errors as std::generic_category codes (std::errc compares).
inline std::error_code generic(std::error_code error) {
  if (error.category() == asio::system_category())
    return {error.value(), std::generic_category()};
  return error;
}

// A transport's shared state; I/O threads and connections keep it alive.
class Core : public std::enable_shared_from_this<Core> {
public:
  Core(unsigned threads, TcpOptions options);
  ~Core();
  void start();
  Expected<std::string> listen(const std::string &address, Handlers handlers);
  Expected<std::shared_ptr<Connection>> connect(const std::string &address,
                                                Handlers handlers);
  void shutdown();

  asio::io_context &io() { return io_; }
  const TcpOptions &options() const { return options_; }
  void forget(const TcpConnection *connection);

private:
  struct Listener;
  void accept(const std::shared_ptr<Listener> &listener);
  void accepted(const std::shared_ptr<Listener> &listener,
                asio::ip::tcp::socket socket);
  bool adopt(const std::shared_ptr<TcpConnection> &connection);
  void join_threads();

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      work_;
  TcpOptions options_;
  unsigned thread_count_;
  std::mutex join_mutex_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::unordered_map<const TcpConnection *, std::shared_ptr<TcpConnection>>
      open_;
};

// One TCP connection. Socket work runs on its strand; send() writes inline
// when the socket is idle, else queues (under mutex_) for the strand.
class TcpConnection final : public Connection,
                            public std::enable_shared_from_this<TcpConnection> {
public:
  TcpConnection(std::shared_ptr<Core> core, asio::ip::tcp::socket socket,
                std::shared_ptr<const Handlers> handlers, std::string peer);

  std::error_code send(Bytes frame) override;
  void close() override;
  const std::string &peer_address() const override { return peer_; }

  void start();
  // Closes now, dropping queued frames; on_close sees \p error.
  void abort(std::error_code error);
  TcpStats stats() const { return {frames_written_, writes_}; }

private:
  bool mark_closed(std::error_code error, bool by_us);
  bool write_idle();
  bool write_now(Bytes &frame);
  void write_batch();
  void on_written(std::error_code error);
  void read_more();
  void on_read(std::error_code error, std::size_t bytes);
  bool consume_frames();
  void read_big(std::size_t have, std::size_t need);
  void on_big_read(std::error_code error, std::size_t bytes);
  void on_read_error(std::error_code error, std::size_t have);
  void deliver(Bytes frame);
  void reject(const Failure &failure);
  void fail(std::error_code error);
  void finish_close();

  std::shared_ptr<Core> core_;
  asio::ip::tcp::socket socket_;
  Strand strand_;
  std::shared_ptr<const Handlers> handlers_;
  std::string peer_;

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
  Bytes rx_;
  std::size_t rx_begin_ = 0;
  std::size_t rx_end_ = 0;
  Bytes big_;
  std::size_t big_have_ = 0;

  std::atomic<std::uint64_t> frames_written_{0};
  std::atomic<std::uint64_t> writes_{0};
};

} // namespace nu::net::tcp
