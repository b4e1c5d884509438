// A thread per connection: started on add, joined when the connection has
// ended (at the next add) or at the end, after shutting its socket down.
#include "ConnectionThreads.hpp"

#include <sys/socket.h>

namespace kv {

ConnectionThreads::~ConnectionThreads() {
  {
    std::scoped_lock lock(mu_);
    stopping_ = true;
    for (Served &s : served_)
      if (s.connection) // wakes its thread
        ::shutdown(s.connection->fd(), SHUT_RDWR);
  }
  for (Served &s : served_)
    s.thread.join();
}

void ConnectionThreads::add(std::unique_ptr<Connection> connection) {
  reap();
  std::scoped_lock lock(mu_);
  if (stopping_)
    return; // closes it
  Served &s = served_.emplace_back(Served{std::move(connection), {}});
  s.thread = std::thread([this, &s] {
    s.connection->serve_blocking();
    std::scoped_lock lock(mu_);
    s.connection.reset();
  });
}

void ConnectionThreads::reap() {
  std::list<Served> done;
  {
    std::scoped_lock lock(mu_);
    for (auto it = served_.begin(); it != served_.end();) {
      auto next = std::next(it);
      if (!it->connection)
        done.splice(done.end(), served_, it);
      it = next;
    }
  }
  for (Served &s : done)
    s.thread.join();
}

} // namespace kv
