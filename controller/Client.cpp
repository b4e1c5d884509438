// The controller client: requests through an RPC endpoint (which matches
// replies), pushes to the owner, a lost connection as Errc::unreachable.
#include "Client.hpp"

namespace nu::controller {
namespace {

Failure unreachable(const std::string &address, const std::string &why) {
  return Failure{Errc::unreachable, "the controller at " + address + " " + why};
}

// The controller answers a request with a Control frame of the same id;
// what it pushes has id 0.
bool is_reply(const wire::FrameHeader &header) {
  return header.kind == wire::FrameKind::Control && header.request_id != 0;
}

} // namespace

Client::Client(net::Transport &transport, std::string address,
               std::chrono::milliseconds timeout, PushHandler on_push,
               CloseHandler on_close)
    : transport_(transport), address_(std::move(address)), timeout_(timeout),
      on_push_(std::move(on_push)), on_close_(std::move(on_close)) {}

Client::~Client() {
  {
    std::scoped_lock lock(mu_);
    on_close_ = nullptr; // the owner is going away
  }
  close();
}

void Client::start() {
  std::weak_ptr<Client> weak = shared_from_this();
  rpc::EndpointHandlers handlers;
  handlers.on_request = [weak](const std::shared_ptr<net::Connection> &conn,
                               detail::Bytes frame) {
    if (auto self = weak.lock())
      self->on_push(conn, std::move(frame));
  };
  handlers.on_close = [weak](const std::shared_ptr<net::Connection> &,
                             std::error_code error) {
    if (auto self = weak.lock())
      self->on_close(error);
  };
  handlers.is_reply = is_reply;
  handlers.name = "controller client";
  endpoint_ = std::make_unique<rpc::Endpoint>(transport_, std::move(handlers));
}

Expected<std::shared_ptr<Client>>
Client::connect(net::Transport &transport, const std::string &address,
                std::chrono::milliseconds timeout, PushHandler on_push,
                CloseHandler on_close) {
  std::shared_ptr<Client> client(new Client(
      transport, address, timeout, std::move(on_push), std::move(on_close)));
  client->start();
  auto conn = client->endpoint_->connect(address);
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
  if (auto conn = connection()) {
    conn->close();
    endpoint_->fail(
        *conn, {std::make_error_code(std::errc::connection_reset), "closed"});
  }
  on_close();
}

Expected<detail::Bytes> Client::call_raw(Op op, detail::Bytes frame) {
  if (!connected())
    return unreachable(address_, "is not connected" + close_reason());
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Control;
  header.target = static_cast<std::uint64_t>(op);
  auto reply =
      endpoint_->call(connection(), header, std::move(frame), timeout_);
  if (reply)
    return std::move(*reply);
  const auto &failure = reply.failure();
  if (failure.code == std::errc::timed_out)
    return unreachable(address_, "did not answer within " +
                                     std::to_string(timeout_.count()) + " ms");
  if (failure.code == std::errc::connection_reset ||
      failure.code == std::errc::operation_canceled)
    return unreachable(address_, "closed the connection" + close_reason());
  close();
  return unreachable(address_, "cannot be sent to: " + failure.message);
}

void Client::post_raw(Op op, detail::Bytes frame) {
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Control;
  header.target = static_cast<std::uint64_t>(op);
  if (connected())
    endpoint_->post(connection(), header, std::move(frame));
}

// A frame the controller pushed; anything else is a broken controller.
void Client::on_push(const std::shared_ptr<net::Connection> &,
                     detail::Bytes frame) {
  auto header = wire::parse_header(frame);
  if (header->kind != wire::FrameKind::Control || header->target == 0 ||
      header->target > kMaxOp)
    return close();
  if (on_push_)
    on_push_(static_cast<Op>(header->target),
             std::span<const std::byte>(frame).subspan(wire::kHeaderSize));
}

std::string Client::close_reason() const {
  std::scoped_lock lock(mu_);
  if (!close_error_ || close_error_ == std::errc::connection_reset ||
      close_error_ == std::errc::operation_canceled)
    return "";
  return ": " + close_error_.message();
}

void Client::on_close(std::error_code error) {
  CloseHandler notify;
  {
    std::scoped_lock lock(mu_);
    if (closed_)
      return;
    closed_ = true;
    close_error_ = error;
    notify = std::move(on_close_);
  }
  if (notify)
    notify();
}

} // namespace nu::controller
