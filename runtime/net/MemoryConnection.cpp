// One side of an in-memory connection: sending copies the frame to the
// peer's delivery lane; closing notifies both sides exactly once.
#include "MemoryTransportImpl.hpp"
#include "nu/wire/frame.hpp"

namespace nu::net::memory {

Endpoint::Endpoint(std::shared_ptr<Link> link, int side,
                   std::shared_ptr<Core> core,
                   std::shared_ptr<const Handlers> handlers, std::string peer)
    : link_(std::move(link)), side_(side), core_(core),
      lane_(core->pick_lane()), handlers_(std::move(handlers)),
      peer_(std::move(peer)) {}

std::error_code Endpoint::send(Bytes frame) {
  Bytes copy(frame.begin(), frame.end()); // the peer never shares our buffer
  std::lock_guard lock(link_->mutex);
  if (link_->closed)
    return std::make_error_code(link_->closer == side_
                                    ? std::errc::not_connected
                                    : std::errc::connection_reset);
  auto peer = link_->ends[1 - side_].lock();
  if (peer && peer->post_frame(std::move(copy)))
    return {};
  // The peer's transport went away without closing the link: a reset.
  close_locked(1 - side_, std::make_error_code(std::errc::connection_reset));
  return std::make_error_code(std::errc::connection_reset);
}

bool Endpoint::close_as(int closer, std::error_code closer_error) {
  std::lock_guard lock(link_->mutex);
  return close_locked(closer, closer_error);
}

bool Endpoint::close_locked(int closer, std::error_code closer_error) {
  if (link_->closed)
    return false;
  link_->closed = true;
  link_->closer = closer;
  auto reset = std::make_error_code(std::errc::connection_reset);
  for (const auto &end : link_->ends)
    if (auto endpoint = end.lock())
      endpoint->post_closed(endpoint->side_ == closer ? closer_error : reset);
  return true;
}

// Hands on_close to this side's lane; the transport stops owning it.
bool Endpoint::post_closed(std::error_code error) {
  auto core = core_.lock();
  if (!core)
    return false;
  core->forget(this);
  return core->post(lane_, [self = shared_from_this(), error] {
    self->deliver_closed(error);
  });
}

bool Endpoint::post_frame(Bytes frame) {
  auto core = core_.lock();
  if (!core)
    return false;
  return core->post(lane_,
                    [self = shared_from_this(), frame = std::move(frame)]() {
                      self->deliver_frame(std::move(frame));
                    });
}

void Endpoint::deliver_frame(Bytes frame) {
  {
    std::lock_guard lock(link_->mutex);
    if (link_->closed && link_->closer == side_)
      return; // we closed: drop what was still in flight to us
  }
  auto view = wire::parse_frame(frame);
  if (!view)
    return reject(view.failure());
  if (handlers_->on_frame)
    handlers_->on_frame(shared_from_this(), std::move(frame));
}

// Closes the link over a malformed frame, logging it once (before either
// side's on_close can run).
void Endpoint::reject(const Failure &failure) {
  std::lock_guard lock(link_->mutex);
  if (link_->closed)
    return;
  if (auto core = core_.lock())
    log::limited(core->rejects, log::get("net"), log::Level::warn,
                 "closing connection {}: {}", peer_, failure.message);
  close_locked(side_, failure.code);
}

void Endpoint::deliver_closed(std::error_code error) {
  if (handlers_->on_close)
    handlers_->on_close(shared_from_this(), error);
}

} // namespace nu::net::memory
