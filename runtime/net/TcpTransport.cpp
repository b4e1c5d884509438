// The TCP transport's core: HOST:PORT addresses, listening and accepting
// (within limits), connecting with a timeout, I/O threads, the sweep that
// enforces timeouts, and shutting down.
#include "TcpTransportImpl.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace nu::net::tcp {
namespace {

using asio::ip::tcp;

thread_local const Core *current_core = nullptr; // the I/O thread's core

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
constexpr std::size_t kSpareChunks = 32; // 8 MiB

Failure failure(std::errc code, std::string message) {
  return {std::make_error_code(code), std::move(message)};
}

Failure shut_down() {
  return failure(std::errc::operation_canceled, "TCP transport is shut down");
}

Failure bad_address(const std::string &address, const std::string &why) {
  return failure(std::errc::invalid_argument,
                 "bad TCP address '" + address + "': " + why +
                     " (expected HOST:PORT, e.g. 127.0.0.1:7000)");
}

Expected<unsigned> parse_port(const std::string &address,
                              const std::string &text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    return bad_address(address, "port '" + text + "' is not a number");
  unsigned port = std::stoul(text);
  if (port > 65535)
    return bad_address(address, "port " + text + " is out of range");
  return port;
}

Expected<asio::ip::address> parse_host(const std::string &address,
                                       std::string host) {
  if (host == "localhost")
    return asio::ip::address(asio::ip::address_v4::loopback());
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::error_code error;
  auto ip = asio::ip::make_address(host, error);
  if (error)
    return bad_address(address, "'" + host + "' is not an IP address");
  return ip;
}

// "HOST:PORT" with a numeric IPv4 or [IPv6] host (or "localhost").
Expected<tcp::endpoint> parse_address(const std::string &address,
                                      bool listening) {
  if (listening && address.empty())
    return tcp::endpoint(asio::ip::address_v4::loopback(), 0);
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return bad_address(address, "no HOST:PORT");
  auto port = parse_port(address, address.substr(colon + 1));
  if (!port)
    return port.failure();
  if (!listening && *port == 0)
    return bad_address(address, "cannot connect to port 0");
  auto host = parse_host(address, address.substr(0, colon));
  if (!host)
    return host.failure();
  return tcp::endpoint(*host, static_cast<unsigned short>(*port));
}

std::string format(const tcp::endpoint &endpoint) {
  auto ip = endpoint.address().to_string();
  if (endpoint.address().is_v6())
    ip = "[" + ip + "]";
  return ip + ":" + std::to_string(endpoint.port());
}

std::error_code last_error() { return {errno, std::generic_category()}; }

// Waits until a non-blocking connect finishes or \p timeout passes.
std::error_code await_connect(int fd, std::chrono::milliseconds timeout) {
  pollfd waiting{fd, POLLOUT, 0};
  int ready = 0;
  do
    ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
  while (ready < 0 && errno == EINTR);
  if (ready == 0)
    return std::make_error_code(std::errc::timed_out);
  if (ready < 0)
    return last_error();
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0)
    return last_error();
  return {error, std::generic_category()};
}

// Connects on the caller's thread (never an io_context wait, so it works
// from a handler too), failing after \p timeout.
std::error_code connect_socket(tcp::socket &socket,
                               const tcp::endpoint &endpoint,
                               std::chrono::milliseconds timeout) {
  std::error_code error;
  socket.open(endpoint.protocol(), error);
  if (!error)
    socket.non_blocking(true, error);
  if (error)
    return generic(error);
  if (::connect(socket.native_handle(), endpoint.data(), endpoint.size()) == 0)
    return {};
  if (errno != EINPROGRESS)
    return last_error();
  return await_connect(socket.native_handle(), timeout);
}

// accept() errors that last while the process is out of descriptors or
// memory: accepting again at once would only fail again.
bool out_of_resources(std::error_code error) {
  error = generic(error);
  return error == std::errc::too_many_files_open ||
         error == std::errc::too_many_files_open_in_system ||
         error == std::errc::no_buffer_space ||
         error == std::errc::not_enough_memory;
}

// How often the sweep looks for timed-out connections; 0 if never.
std::chrono::milliseconds sweep_period(const TcpOptions &options) {
  using std::chrono::milliseconds;
  auto shortest = milliseconds::max();
  for (auto timeout : {options.partial_frame_timeout, options.idle_timeout})
    if (timeout.count() > 0)
      shortest = std::min(shortest, timeout);
  if (shortest == milliseconds::max())
    return milliseconds(0);
  return std::clamp(shortest / 4, milliseconds(10), milliseconds(250));
}

} // namespace

struct Core::Listener {
  Listener(asio::io_context &io, Handlers handlers)
      : acceptor(io), strand(asio::make_strand(io)), backoff_timer(io),
        handlers(std::make_shared<const Handlers>(std::move(handlers))) {}
  tcp::acceptor acceptor;
  Strand strand;
  std::string address;
  // While accept() fails for want of descriptors or memory (on strand).
  asio::steady_timer backoff_timer;
  std::chrono::milliseconds backoff{0};
  std::shared_ptr<const Handlers> handlers;
};

Core::Core(unsigned threads, TcpOptions options,
           std::shared_ptr<const TlsConfig> tls)
    : io_(static_cast<int>(std::max(threads, 1u))),
      work_(asio::make_work_guard(io_)), options_(options),
      tls_(std::move(tls)), thread_count_(std::max(threads, 1u)),
      sweep_strand_(asio::make_strand(io_)), sweep_timer_(io_),
      log_(nu::log::get("net")) {}

// Only reached once every I/O thread has let go; threads nobody joined
// (shutdown from a handler) have finished running.
Core::~Core() {
  for (auto &thread : threads_)
    if (thread.joinable())
      thread.detach();
}

void Core::start() {
  for (unsigned i = 0; i < thread_count_; ++i)
    threads_.emplace_back([self = shared_from_this()] {
      current_core = self.get();
      self->io_.run();
    });
  asio::post(sweep_strand_, [this] { arm_sweep(); });
}

void Core::arm_sweep() {
  auto period = sweep_period(options_);
  if (period.count() == 0)
    return;
  sweep_timer_.expires_after(period);
  sweep_timer_.async_wait(
      asio::bind_executor(sweep_strand_, [this](std::error_code error) {
        if (!error)
          sweep();
      }));
}

// Closes the connections past a timeout; the timeouts' only timer.
void Core::sweep() {
  std::vector<std::shared_ptr<TcpConnection>> open;
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      return;
    open.reserve(open_.size());
    for (const auto &entry : open_)
      open.push_back(entry.second);
  }
  auto now = now_ns();
  for (const auto &connection : open)
    connection->sweep(now);
  arm_sweep();
}

Expected<std::string> Core::listen(const std::string &address,
                                   Handlers handlers) {
  auto endpoint = parse_address(address, true);
  if (!endpoint)
    return endpoint.failure();
  auto listener = std::make_shared<Listener>(io_, std::move(handlers));
  auto &acceptor = listener->acceptor;
  std::error_code error;
  acceptor.open(endpoint->protocol(), error);
  if (!error)
    acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error)
    acceptor.bind(*endpoint, error);
  if (!error)
    acceptor.listen(asio::socket_base::max_listen_connections, error);
  error = generic(error);
  if (error == std::errc::address_in_use)
    return failure(std::errc::address_in_use, "cannot listen at " +
                                                  format(*endpoint) +
                                                  ": address already in use");
  if (error)
    return Failure{error, "cannot listen at " + format(*endpoint) + ": " +
                              error.message()};
  auto actual = format(acceptor.local_endpoint());
  listener->address = actual;
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      return shut_down();
    listeners_.push_back(listener);
  }
  asio::post(listener->strand, [this, listener] { accept(listener); });
  return actual;
}

void Core::accept(const std::shared_ptr<Listener> &listener) {
  listener->acceptor.async_accept(asio::bind_executor(
      listener->strand,
      [this, listener](std::error_code error, tcp::socket socket) {
        if (error == asio::error::operation_aborted ||
            !listener->acceptor.is_open())
          return;
        if (error)
          return on_accept_error(listener, error);
        listener->backoff = std::chrono::milliseconds(0);
        accepted(listener, std::move(socket));
        accept(listener);
      }));
}

// Out of descriptors or memory, accepting waits (100 ms, doubling up to
// 1 s) rather than spin; open connections are served meanwhile. Other
// errors concern one connection that went away: accepting goes on.
void Core::on_accept_error(const std::shared_ptr<Listener> &listener,
                           std::error_code error) {
  if (!out_of_resources(error))
    return accept(listener);
  auto &backoff = listener->backoff;
  backoff = std::clamp(backoff * 2, kFirstBackoff, kMaxBackoff);
  warn("accepting at {} failed: {}; retrying in {} ms", listener->address,
       generic(error).message(), backoff.count());
  listener->backoff_timer.expires_after(backoff);
  listener->backoff_timer.async_wait(asio::bind_executor(
      listener->strand, [this, listener](std::error_code cancelled) {
        if (!cancelled && listener->acceptor.is_open())
          accept(listener);
      }));
}

void Core::accepted(const std::shared_ptr<Listener> &listener,
                    tcp::socket socket) {
  std::error_code error;
  socket.set_option(tcp::no_delay(true), error);
  auto peer = socket.remote_endpoint(error);
  if (error)
    return; // the peer left already
  if (!admit()) {
    warn("refusing connection from {}: max_connections ({}) are open",
         format(peer), options_.max_connections);
    return; // the socket closes as it goes
  }
  auto connection =
      std::make_shared<TcpConnection>(shared_from_this(), std::move(socket),
                                      listener->handlers, format(peer), true);
  if (adopt(connection))
    return connection->start();
  release_slot();
}

// Takes a slot for one more accepted connection, if max_connections allows.
bool Core::admit() {
  std::lock_guard lock(mutex_);
  if (options_.max_connections > 0 &&
      accepted_open_ >= options_.max_connections)
    return false;
  ++accepted_open_;
  return true;
}

void Core::release_slot() {
  std::lock_guard lock(mutex_);
  --accepted_open_;
}

Expected<std::shared_ptr<Connection>> Core::connect(const std::string &address,
                                                    Handlers handlers) {
  auto endpoint = parse_address(address, false);
  if (!endpoint)
    return endpoint.failure();
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      return shut_down();
  }
  tcp::socket socket(io_);
  auto error = connect_socket(socket, *endpoint, options_.connect_timeout);
  if (error == std::errc::timed_out)
    return failure(std::errc::connection_refused,
                   "cannot connect to " + address + ": no answer within " +
                       std::to_string(options_.connect_timeout.count()) +
                       " ms");
  if (error)
    return failure(std::errc::connection_refused,
                   "cannot connect to " + address + ": " + error.message());
  socket.set_option(tcp::no_delay(true), error);
  auto connection = std::make_shared<TcpConnection>(
      shared_from_this(), std::move(socket),
      std::make_shared<const Handlers>(std::move(handlers)), address, false);
  if (!adopt(connection))
    return shut_down();
  connection->start();
  return std::shared_ptr<Connection>(std::move(connection));
}

bool Core::adopt(const std::shared_ptr<TcpConnection> &connection) {
  std::lock_guard lock(mutex_);
  if (stopping_)
    return false;
  open_.emplace(connection.get(), connection);
  return true;
}

void Core::forget(const TcpConnection *connection) {
  std::lock_guard lock(mutex_);
  if (open_.erase(connection) > 0 && connection->accepted())
    --accepted_open_;
}

Chunk Core::take_chunk() {
  {
    std::lock_guard lock(chunk_mutex_);
    if (!spare_chunks_.empty()) {
      auto chunk = std::move(spare_chunks_.back());
      spare_chunks_.pop_back();
      return chunk;
    }
  }
  return Chunk(new std::byte[kChunkSize]);
}

// Keeps up to kSpareChunks of \p chunks for reuse, frees the rest.
void Core::give_back(std::vector<Chunk> &chunks) {
  {
    std::lock_guard lock(chunk_mutex_);
    while (!chunks.empty() && spare_chunks_.size() < kSpareChunks) {
      spare_chunks_.push_back(std::move(chunks.back()));
      chunks.pop_back();
    }
  }
  chunks.clear();
}

bool Core::rebuffer(std::size_t from, std::size_t to) {
  if (to <= from) {
    buffered_.fetch_sub(from - to, std::memory_order_relaxed);
    return true;
  }
  auto more = to - from;
  auto total = buffered_.fetch_add(more, std::memory_order_relaxed) + more;
  if (total <= options_.max_buffered_bytes)
    return true;
  buffered_.fetch_sub(more, std::memory_order_relaxed);
  return false;
}

// Closes listeners and connections; the I/O threads run their on_close
// handlers and stop. From a handler, returns without joining.
void Core::shutdown() {
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<std::shared_ptr<TcpConnection>> open;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      listeners.swap(listeners_);
      for (const auto &entry : open_)
        open.push_back(entry.second);
      work_.reset();
      asio::post(sweep_strand_, [this] { sweep_timer_.cancel(); });
    }
  }
  for (const auto &listener : listeners)
    asio::post(listener->strand, [listener] {
      std::error_code ignored;
      listener->acceptor.close(ignored);
      listener->backoff_timer.cancel();
    });
  for (const auto &connection : open)
    connection->abort(std::make_error_code(std::errc::operation_canceled));
  if (current_core != this) {
    join_threads();
    // Handlers the closes above aborted after the threads left still hold
    // their connections: run them now, or they would leak as a cycle.
    io_.restart();
    io_.poll();
  }
}

void Core::join_threads() {
  std::lock_guard lock(join_mutex_);
  for (auto &thread : threads_)
    if (thread.joinable())
      thread.join();
}

// The Transport: a handle on a Core, shut down when destroyed.
class TcpTransport final : public Transport {
public:
  TcpTransport(const TransportOptions &options, const TcpOptions &tcp)
      : core_(std::make_shared<Core>(options.io_threads, tcp, options.tls)) {
    core_->start();
  }
  ~TcpTransport() override { core_->shutdown(); }

  std::string_view name() const override { return "tcp"; }
  Expected<std::string> listen(const std::string &address,
                               Handlers handlers) override {
    return core_->listen(address, std::move(handlers));
  }
  Expected<std::shared_ptr<Connection>> connect(const std::string &address,
                                                Handlers handlers) override {
    return core_->connect(address, std::move(handlers));
  }
  void shutdown() override { core_->shutdown(); }

private:
  std::shared_ptr<Core> core_;
};

} // namespace nu::net::tcp

namespace nu::net {

std::unique_ptr<Transport> make_tcp_transport(const TransportOptions &options) {
  return make_tcp_transport(options, TcpOptions{});
}

std::unique_ptr<Transport> make_tcp_transport(const TransportOptions &options,
                                              const TcpOptions &tcp) {
  return std::make_unique<tcp::TcpTransport>(options, tcp);
}

TcpStats tcp_stats(const Connection &connection) {
  auto *tcp = dynamic_cast<const tcp::TcpConnection *>(&connection);
  return tcp ? tcp->stats() : TcpStats{};
}

} // namespace nu::net
