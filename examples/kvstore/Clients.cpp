// Accepting clients: Redis's maxclients and its reply, a pause when
// accept() lacks resources, a count kept by each client's handler.
#include "Clients.hpp"

#include "Log.hpp"
#include "Socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kv {
namespace {

constexpr auto kBackOff = std::chrono::milliseconds(100);

/// A handler that counts itself in \p count while it lives.
class Counted : public Handler {
public:
  Counted(std::unique_ptr<Handler> inner, std::atomic<std::size_t> &count)
      : inner_(std::move(inner)), count_(count) {
    ++count_;
  }
  ~Counted() override { --count_; }

  void execute(const std::vector<std::string_view> &args,
               RespWriter &out) override {
    inner_->execute(args, out);
  }
  bool quit() const override { return inner_->quit(); }
  bool slow() override { return inner_->slow(); }

private:
  std::unique_ptr<Handler> inner_;
  std::atomic<std::size_t> &count_;
};

/// accept()'s errors worth retrying at once: a connection that failed
/// before it was accepted, or a signal.
bool retry_now(int error) {
  switch (error) {
  case EINTR:
  case EAGAIN:
  case ECONNABORTED:
  case EPROTO:
  case EPERM:
  case ENETDOWN:
  case ENETUNREACH:
  case EHOSTDOWN:
  case EHOSTUNREACH:
  case ENONET:
  case ENOPROTOOPT:
  case EOPNOTSUPP:
    return true;
  default:
    return false;
  }
}

} // namespace

Clients::Clients(int listen_fd, MakeHandler make_handler, const Limits &limits,
                 std::size_t loops, std::function<void()> on_threaded)
    : listen_fd_(listen_fd), make_handler_(std::move(make_handler)),
      limits_(limits), on_threaded_(std::move(on_threaded)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(loops, 1); ++i)
    loops_.push_back(std::make_unique<EventLoop>(
        [this](std::unique_ptr<Connection> c) {
          if (on_threaded_)
            on_threaded_();
          threads_.add(std::move(c));
        },
        sweep_interval(limits_)));
  acceptor_ = std::thread([this] { accept_clients(); });
}

Clients::~Clients() {
  {
    std::scoped_lock lock(mu_);
    stopping_ = true;
  }
  stopped_.notify_all();
  ::shutdown(listen_fd_, SHUT_RDWR); // wakes accept()
  acceptor_.join();
  ::close(listen_fd_);
  loops_.clear(); // then threads_ goes
}

void Clients::accept_clients() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0)
      admit(fd);
    else if (!stopping_ && !retry_now(errno))
      back_off(errno);
  }
}

/// Serves the client on \p fd, or tells it there are too many.
void Clients::admit(int fd) {
  if (count_ >= limits_.max_clients) {
    log_limited(LogKind::MaxClients, "refused client " + peer_name(fd) + ": " +
                                         std::to_string(limits_.max_clients) +
                                         " clients connected (--max-clients)");
    write_all(fd, "-ERR max number of clients reached\r\n");
    ::close(fd);
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto handler = std::make_unique<Counted>(make_handler_(), count_);
  auto &loop = *loops_[next_loop_++ % loops_.size()];
  loop.add(std::make_unique<Connection>(fd, std::move(handler), limits_));
}

/// After accept() failed with \p error (out of descriptors or memory):
/// says so (once a second at most) and stops accepting for a while; the
/// clients connected meanwhile wait in the listen backlog.
void Clients::back_off(int error) {
  log_limited(LogKind::Accept, std::string("cannot accept "
                                           "clients: ") +
                                   std::strerror(error) +
                                   "; retrying every 100 ms");
  std::unique_lock lock(mu_);
  stopped_.wait_for(lock, kBackOff, [this] { return stopping_.load(); });
}

} // namespace kv
