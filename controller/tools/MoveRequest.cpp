// Move requests to a node: one frame out through an RPC endpoint, its reply
// back (or the connection's end, or the deadline), decoded into a value or
// an Failure.
#include "MoveRequest.hpp"

#include "nu/rpc/endpoint.hpp"
#include "nu/wire/frame.hpp"

#include <memory>
#include <string_view>

namespace nu::controller {
namespace {

using detail::Bytes;

Failure unreachable(const Peer &node, const std::string &why) {
  return Failure{Errc::unreachable, "node " + std::to_string(node.id) + " at " +
                                        node.address + " " + why};
}

// Sends a Move frame with \p header to \p node; returns its reply.
Expected<Bytes> exchange(net::Transport &transport, const Peer &node,
                         wire::FrameHeader header,
                         std::chrono::milliseconds timeout) {
  rpc::EndpointHandlers handlers;
  handlers.on_request = [](const std::shared_ptr<net::Connection> &conn,
                           Bytes) { conn->close(); }; // a node asks nothing
  handlers.name = "nuctl";
  rpc::Endpoint endpoint(transport, std::move(handlers));
  auto conn = endpoint.connect(node.address);
  if (!conn)
    return unreachable(node, "cannot be reached: " + conn.failure().message);
  header.kind = wire::FrameKind::Move;
  auto reply = endpoint.call(*conn, header, wire::start_frame(), timeout);
  (*conn)->close();
  if (reply)
    return std::move(*reply);
  const auto &failure = reply.failure();
  if (failure.code == std::errc::timed_out)
    return unreachable(node, "did not answer within " +
                                 std::to_string(timeout.count()) +
                                 " ms (it may still do what was asked)");
  if (failure.code == std::errc::connection_reset)
    return unreachable(node, "closed the connection");
  return unreachable(node, "cannot be sent to: " + failure.message);
}

// The node's own messages start with "nu: "; nuctl adds its own prefix.
std::string without_prefix(std::string message) {
  constexpr std::string_view prefix = "nu: ";
  if (std::string_view(message).starts_with(prefix))
    message.erase(0, prefix.size());
  return message;
}

// Decodes a Result payload as \p values, or the Failure/Unavailable reply.
template <class... Ts>
Expected<bool> decode(const Bytes &frame, const Peer &node, Ts &...values) try {
  auto view = wire::parse_frame(frame);
  detail::Decoder in(view->payload, detail::SerialContext{});
  std::string type, what;
  switch (view->header.kind) {
  case wire::FrameKind::Result:
    in(values...);
    in.finish();
    return true;
  case wire::FrameKind::Error:
    in(type, what);
    return Failure{Errc::invalid_argument, without_prefix(what)};
  default: // Unavailable
    in(what);
    return Failure{Errc::unknown_proclet, without_prefix(what)};
  }
} catch (const detail::DecodeError &e) {
  return unreachable(node, std::string("sent a malformed reply: ") + e.what());
}

} // namespace

Expected<MoveStats> request_move(net::Transport &transport, const Peer &node,
                                 ProcletId id, NodeId to,
                                 std::chrono::milliseconds timeout) {
  wire::FrameHeader header;
  header.proclet_id = id;
  header.target = to;
  auto reply = exchange(transport, node, header, timeout);
  if (!reply)
    return reply.failure();
  MoveStats s;
  auto decoded =
      decode(*reply, node, s.proclet, s.from, s.to, s.bytes, s.pause_us);
  if (!decoded)
    return decoded.failure();
  return s;
}

Expected<std::uint64_t> request_drain(net::Transport &transport,
                                      const Peer &node,
                                      std::chrono::milliseconds timeout) {
  auto reply = exchange(transport, node, wire::FrameHeader{}, timeout);
  if (!reply)
    return reply.failure();
  std::uint64_t moved = 0;
  auto decoded = decode(*reply, node, moved);
  if (!decoded)
    return decoded.failure();
  return moved;
}

Expected<std::vector<wire::ProcletListing>>
request_list(net::Transport &transport, const Peer &node,
             std::chrono::milliseconds timeout) {
  wire::FrameHeader header;
  header.aux = wire::kMoveList;
  auto reply = exchange(transport, node, header, timeout);
  if (!reply)
    return reply.failure();
  std::vector<wire::ProcletListing> listing;
  auto decoded = decode(*reply, node, listing);
  if (!decoded)
    return decoded.failure();
  return listing;
}

} // namespace nu::controller
