// The controller client: matches replies to requests by id, bounds each
// wait, and turns a lost connection into Errc::unreachable for every caller.
#include "Client.hpp"

namespace nu::controller {
namespace {

Error unreachable(const std::string &address, const std::string &why) {
  return Error{Errc::unreachable, "the controller at " + address + " " + why};
}

} // namespace

Client::Client(std::string address, std::chrono::milliseconds timeout,
               PushHandler on_push, CloseHandler on_close)
    : address_(std::move(address)), timeout_(timeout),
      on_push_(std::move(on_push)), on_close_(std::move(on_close)) {}

Client::~Client() {
  {
    std::scoped_lock lock(mu_);
    on_close_ = nullptr; // the owner is going away
  }
  close();
}

Result<std::shared_ptr<Client>>
Client::connect(net::Transport &transport, const std::string &address,
                std::chrono::milliseconds timeout, PushHandler on_push,
                CloseHandler on_close) {
  std::shared_ptr<Client> client(
      new Client(address, timeout, std::move(on_push), std::move(on_close)));
  std::weak_ptr<Client> weak = client;
  net::Handlers handlers;
  handlers.on_frame = [weak](const std::shared_ptr<net::Connection> &,
                             detail::Bytes frame) {
    if (auto self = weak.lock())
      self->on_frame(std::move(frame));
  };
  handlers.on_close = [weak](const std::shared_ptr<net::Connection> &,
                             std::error_code) {
    if (auto self = weak.lock())
      self->on_close();
  };
  auto conn = transport.connect(address, std::move(handlers));
  if (!conn)
    return unreachable(address, "cannot be reached: " + conn.failure().message);
  std::scoped_lock lock(client->mu_);
  client->conn_ = *conn;
  return client;
}

std::shared_ptr<net::Connection> Client::connection() const {
  std::scoped_lock lock(mu_);
  return conn_;
}

bool Client::connected() const {
  std::scoped_lock lock(mu_);
  return !closed_;
}

void Client::close() {
  if (auto conn = connection())
    conn->close();
  on_close();
}

Result<detail::Bytes> Client::call_raw(Op op, detail::Bytes frame) {
  net::FrameHeader header;
  header.kind = net::FrameKind::Control;
  header.target = static_cast<std::uint64_t>(op);
  std::future<detail::Bytes> reply;
  {
    std::scoped_lock lock(mu_);
    if (closed_)
      return unreachable(address_, "is not connected");
    header.request_id = next_request_++;
    reply = pending_[header.request_id].get_future();
  }
  net::finish_frame(frame, header);
  if (auto error = connection()->send(std::move(frame))) {
    close();
    return unreachable(address_, "cannot be sent to: " + error.message());
  }
  if (reply.wait_for(timeout_) != std::future_status::ready) {
    std::scoped_lock lock(mu_);
    pending_.erase(header.request_id);
    return unreachable(address_, "did not answer within " +
                                     std::to_string(timeout_.count()) + " ms");
  }
  detail::Bytes out = reply.get();
  if (out.empty())
    return unreachable(address_, "closed the connection");
  return out;
}

void Client::post_raw(Op op, detail::Bytes frame) {
  net::FrameHeader header;
  header.kind = net::FrameKind::Control;
  header.flags = net::kOneWay;
  header.target = static_cast<std::uint64_t>(op);
  net::finish_frame(frame, header);
  if (connected())
    connection()->send(std::move(frame));
}

void Client::on_frame(detail::Bytes frame) {
  auto view = net::parse_frame(frame);
  if (!view || view->header.kind != net::FrameKind::Control ||
      view->header.target == 0 || view->header.target > kMaxOp)
    return close();
  if (view->header.request_id == 0) { // pushed by the controller
    if (on_push_)
      on_push_(static_cast<Op>(view->header.target), view->payload);
    return;
  }
  std::scoped_lock lock(mu_);
  auto it = pending_.find(view->header.request_id);
  if (it == pending_.end())
    return; // the caller gave up
  it->second.set_value(std::move(frame));
  pending_.erase(it);
}

void Client::on_close() {
  std::unordered_map<std::uint64_t, Reply> failed;
  CloseHandler notify;
  {
    std::scoped_lock lock(mu_);
    if (closed_)
      return;
    closed_ = true;
    failed.swap(pending_);
    notify = std::move(on_close_);
  }
  for (auto &[id, reply] : failed)
    reply.set_value({}); // empty: the connection is gone
  if (notify)
    notify();
}

} // namespace nu::controller
