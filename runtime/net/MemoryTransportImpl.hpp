// Internals of the in-memory transport shared by its source files: the
// link two endpoints share, an endpoint, and a transport's shared core.
#pragma once

#include "DeliveryLane.hpp"
#include "nu/log/log.hpp"
#include "nu/net/memory_transport.hpp"

#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace nu::net::memory {

class Core;
class Endpoint;

using detail::Failure;

// A transport listening at an address of the hub.
struct Listener {
  std::weak_ptr<Core> core;
  std::shared_ptr<const Handlers> handlers;
};

// The state both ends of one connection share; closing is done once, here.
struct Link {
  std::mutex mutex;
  bool closed = false;
  int closer = -1; // the side that closed (or whose peer vanished)
  std::array<std::weak_ptr<Endpoint>, 2> ends;
};

// One side of a connection, owned by the transport it belongs to.
class Endpoint final : public Connection,
                       public std::enable_shared_from_this<Endpoint> {
public:
  Endpoint(std::shared_ptr<Link> link, int side, std::shared_ptr<Core> core,
           std::shared_ptr<const Handlers> handlers, std::string peer);

  std::error_code send(Bytes frame) override;
  void close() override { close_as(side_, {}); }
  const std::string &peer_address() const override { return peer_; }

  // Closes both sides with \p closer as the closer, whose on_close gets
  // \p closer_error (the other side's gets connection_reset). False if
  // the link was closed already.
  bool close_as(int closer, std::error_code closer_error);
  int side() const { return side_; }

private:
  bool close_locked(int closer, std::error_code closer_error);
  bool post_closed(std::error_code error);
  bool post_frame(Bytes frame);
  void deliver_frame(Bytes frame);
  void reject(const Failure &failure);
  void deliver_closed(std::error_code error);

  std::shared_ptr<Link> link_;
  int side_;
  std::weak_ptr<Core> core_;
  unsigned lane_;
  std::shared_ptr<const Handlers> handlers_;
  std::string peer_;
};

// A transport's shared state: delivery lanes and the connections it owns.
class Core : public std::enable_shared_from_this<Core> {
public:
  log::RateLimit rejects; // the log lines of rejected frames
  Core(std::shared_ptr<MemoryHub> hub, unsigned threads);
  void start();
  Expected<std::string> listen(const std::string &address, Handlers handlers);
  Expected<std::shared_ptr<Connection>> connect(const std::string &address,
                                                Handlers handlers);
  void shutdown();

  unsigned pick_lane() { return next_lane_++ % lanes_.size(); }
  bool post(unsigned lane, std::function<void()> task) {
    return lanes_[lane]->post(std::move(task));
  }
  bool adopt(const std::shared_ptr<Endpoint> &endpoint);
  void forget(const Endpoint *endpoint);

private:
  std::shared_ptr<MemoryHub> hub_;
  std::vector<std::unique_ptr<DeliveryLane>> lanes_;
  std::atomic<unsigned> next_lane_{0};
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<std::string> addresses_;
  std::unordered_map<const Endpoint *, std::shared_ptr<Endpoint>> open_;
};

} // namespace nu::net::memory
