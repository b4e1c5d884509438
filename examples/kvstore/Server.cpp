// Accepting clients and spreading them over the event loops; stopping:
// shutting the sockets down wakes every blocked thread so all can join.
#include "Server.hpp"

#include "Socket.hpp"

#include <nu/errors.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kv {
namespace {

std::size_t loop_count() {
  return std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
}

} // namespace

Server::Server(Store store, const std::string &host, int port)
    : store_(std::move(store)) {
  std::string error;
  listen_fd_ = listen_at(host, port, error);
  if (listen_fd_ < 0)
    throw nu::Error("nu-kvstore: cannot listen at " + host + ":" +
                    std::to_string(port) + ": " + error);
  info_.host = host;
  info_.port = local_port(listen_fd_);
  info_.started_ms = now_ms();
  for (std::size_t i = 0; i < loop_count(); ++i)
    loops_.push_back(
        std::make_unique<EventLoop>([this](std::unique_ptr<Connection> c) {
          ++info_.threaded_clients;
          threads_.add(std::move(c));
        }));
  acceptor_ = std::thread([this] { accept_clients(); });
}

Server::~Server() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR); // wakes accept()
  acceptor_.join();
  ::close(listen_fd_);
  loops_.clear(); // then threads_ goes
}

void Server::accept_clients() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      add_client(fd);
      continue;
    }
    if (stopping_)
      return;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
        errno == ENOMEM) // wait for some to close
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Server::add_client(int fd) {
  if (info_.clients >= kMaxClients) {
    write_all(fd, "-ERR max number of clients reached\r\n");
    ::close(fd);
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto session = std::make_unique<Session>(store_, info_);
  auto &loop = *loops_[next_loop_++ % loops_.size()];
  loop.add(std::make_unique<Connection>(fd, std::move(session)));
}

} // namespace kv
