// The TCP transport's core: HOST:PORT addresses, listening and accepting,
// connecting with a timeout, I/O threads, and shutting down.
#include "net/TcpTransportImpl.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace nu::net::tcp {
namespace {

using asio::ip::tcp;

thread_local const Core *current_core = nullptr; // the I/O thread's core

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

} // namespace

struct Core::Listener {
  Listener(asio::io_context &io, Handlers handlers)
      : acceptor(io), strand(asio::make_strand(io)),
        handlers(std::make_shared<const Handlers>(std::move(handlers))) {}
  tcp::acceptor acceptor;
  Strand strand;
  std::shared_ptr<const Handlers> handlers;
};

Core::Core(unsigned threads, TcpOptions options)
    : io_(static_cast<int>(std::max(threads, 1u))),
      work_(asio::make_work_guard(io_)), options_(options),
      thread_count_(std::max(threads, 1u)) {}

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
        if (!error)
          accepted(listener, std::move(socket));
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
  auto connection = std::make_shared<TcpConnection>(
      shared_from_this(), std::move(socket), listener->handlers, format(peer));
  if (adopt(connection))
    connection->start();
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
      std::make_shared<const Handlers>(std::move(handlers)), address);
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
  open_.erase(connection);
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
    }
  }
  for (const auto &listener : listeners)
    asio::post(listener->strand, [listener] {
      std::error_code ignored;
      listener->acceptor.close(ignored);
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
      : core_(std::make_shared<Core>(options.io_threads, tcp)) {
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
