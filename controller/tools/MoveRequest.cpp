// Move requests to a node: one frame out, the first reply to it back (or
// the connection's end, or the deadline), decoded into a value or an Error.
#include "MoveRequest.hpp"

#include "net/Frame.hpp"

#include <future>
#include <memory>
#include <mutex>
#include <string_view>

namespace nu::controller {
namespace {

using detail::Bytes;
constexpr std::uint64_t kRequestId = 1;

// The first reply (or empty bytes once the connection closed).
class ReplySlot {
public:
  std::future<Bytes> future() { return promise_.get_future(); }
  void set(Bytes frame) {
    std::scoped_lock lock(mu_);
    if (done_)
      return;
    done_ = true;
    promise_.set_value(std::move(frame));
  }

private:
  std::mutex mu_;
  bool done_ = false;
  std::promise<Bytes> promise_;
};

bool is_reply(const Bytes &frame) {
  auto view = net::parse_frame(frame);
  if (!view || view->header.request_id != kRequestId)
    return false;
  auto kind = view->header.kind;
  return kind == net::FrameKind::Result || kind == net::FrameKind::Error ||
         kind == net::FrameKind::Unavailable;
}

Error unreachable(const Peer &node, const std::string &why) {
  return Error{Errc::unreachable, "node " + std::to_string(node.id) + " at " +
                                      node.address + " " + why};
}

// Sends a Move frame with \p header to \p node; returns its reply.
Result<Bytes> exchange(net::Transport &transport, const Peer &node,
                       net::FrameHeader header,
                       std::chrono::milliseconds timeout) {
  auto slot = std::make_shared<ReplySlot>();
  auto reply = slot->future();
  net::Handlers handlers;
  handlers.on_frame = [slot](const std::shared_ptr<net::Connection> &,
                             Bytes frame) {
    if (is_reply(frame))
      slot->set(std::move(frame));
  };
  handlers.on_close = [slot](const std::shared_ptr<net::Connection> &,
                             std::error_code) { slot->set({}); };
  auto conn = transport.connect(node.address, std::move(handlers));
  if (!conn)
    return unreachable(node, "cannot be reached: " + conn.failure().message);
  header.kind = net::FrameKind::Move;
  header.request_id = kRequestId;
  Bytes frame = net::start_frame();
  net::finish_frame(frame, header);
  std::error_code sent = (*conn)->send(std::move(frame));
  bool answered = !sent && reply.wait_for(timeout) == std::future_status::ready;
  (*conn)->close();
  if (sent)
    return unreachable(node, "cannot be sent to: " + sent.message());
  if (!answered)
    return unreachable(node, "did not answer within " +
                                 std::to_string(timeout.count()) +
                                 " ms (it may still do what was asked)");
  Bytes out = reply.get();
  if (out.empty())
    return unreachable(node, "closed the connection");
  return out;
}

// The node's own messages start with "nu: "; nuctl adds its own prefix.
std::string without_prefix(std::string message) {
  constexpr std::string_view prefix = "nu: ";
  if (std::string_view(message).starts_with(prefix))
    message.erase(0, prefix.size());
  return message;
}

// Decodes a Result payload as \p values, or the Error/Unavailable reply.
template <class... Ts>
Result<bool> decode(const Bytes &frame, const Peer &node, Ts &...values) try {
  auto view = net::parse_frame(frame);
  detail::Decoder in(view->payload, detail::SerialContext{});
  std::string type, what;
  switch (view->header.kind) {
  case net::FrameKind::Result:
    in(values...);
    in.finish();
    return true;
  case net::FrameKind::Error:
    in(type, what);
    return Error{Errc::invalid_argument, without_prefix(what)};
  default: // Unavailable
    in(what);
    return Error{Errc::unknown_proclet, without_prefix(what)};
  }
} catch (const detail::DecodeError &e) {
  return unreachable(node, std::string("sent a malformed reply: ") + e.what());
}

} // namespace

Result<MoveStats> request_move(net::Transport &transport, const Peer &node,
                               ProcletId id, NodeId to,
                               std::chrono::milliseconds timeout) {
  net::FrameHeader header;
  header.proclet_id = id;
  header.target = to;
  auto reply = exchange(transport, node, header, timeout);
  if (!reply)
    return reply.error();
  MoveStats s;
  auto decoded =
      decode(*reply, node, s.proclet, s.from, s.to, s.bytes, s.pause_us);
  if (!decoded)
    return decoded.error();
  return s;
}

Result<std::uint64_t> request_drain(net::Transport &transport, const Peer &node,
                                    std::chrono::milliseconds timeout) {
  auto reply = exchange(transport, node, net::FrameHeader{}, timeout);
  if (!reply)
    return reply.error();
  std::uint64_t moved = 0;
  auto decoded = decode(*reply, node, moved);
  if (!decoded)
    return decoded.error();
  return moved;
}

} // namespace nu::controller
