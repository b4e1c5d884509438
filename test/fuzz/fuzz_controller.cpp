// Fuzzes the controller protocol: one request frame through a real Service
// (byte 0 picks the Op and the connection), or a reply as Client reads it.
#include "Client.hpp"
#include "Service.hpp"

#include "nu/detail/archive.hpp"
#include "nu/log/log.hpp"
#include "nu/wire/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace {

// Byte 0: Op 1 + (b & 0x3f) % kMaxOp. With bit 0x80 the rest is a reply to that
// Op from a hostile controller, decoded as Client does. Without it the rest
// is the payload of a request frame, served by a fresh Service (in-memory
// transport, never listening) where two nodes joined, each on its own
// connection, and registered a proclet: the frame arrives on node 1's
// connection, or (bit 0x40) on one that did not join. Every reply the
// Service sends must decode as Client reads it; a placement and a status
// request follow, so that what the frame changed is read back.

using namespace nu::controller;
using nu::detail::Bytes;
using nu::wire::FrameKind;

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_controller: %s\n", what);
    std::abort();
  }
}

/// A connection that keeps what the Service sends on it.
class Recorder : public nu::net::Connection {
public:
  std::error_code send(Bytes frame) override {
    std::scoped_lock lock(mu_);
    sent_.push_back(std::move(frame));
    return {};
  }
  void close() override {}
  const std::string &peer_address() const override { return address_; }
  std::vector<Bytes> take() {
    std::scoped_lock lock(mu_);
    return std::exchange(sent_, {});
  }

private:
  std::mutex mu_;
  std::vector<Bytes> sent_;
  const std::string address_ = "fuzzer";
};

using Conn = std::shared_ptr<nu::net::Connection>;

template <class Reply> bool decodes(std::span<const std::byte> payload) {
  auto reply = Client::decode_reply<Reply>(payload);
  return reply || reply.failure().code != Errc::unreachable;
}

/// What the client expects in reply to \p op (Exit and the one-way
/// messages have none: read as an empty body). Every Op is listed, so that
/// a new one cannot fall to a default that reads its reply as nothing.
bool decodes(Op op, std::span<const std::byte> payload) {
  switch (op) {
  case Op::Join:
    return decodes<JoinReply>(payload);
  case Op::Rejoin:
  case Op::Heartbeat:
    return decodes<Membership>(payload);
  case Op::Place:
    return decodes<NodeId>(payload);
  case Op::PlaceMany:
    return decodes<std::vector<NodeId>>(payload);
  case Op::GrantIds:
    return decodes<IdRange>(payload);
  case Op::Resolve:
    return decodes<Location>(payload);
  case Op::ResolveMany:
    return decodes<std::vector<Location>>(payload);
  case Op::Status:
    return decodes<StatusReply>(payload);
  case Op::Claim:
    return decodes<bool>(payload);
  case Op::Leave:
  case Op::Leaving:
  case Op::Register:
  case Op::Unregister:
  case Op::EndProcess:
  case Op::Exit:
    return decodes<None>(payload);
  }
  return false; // not an Op: -Wswitch names any Op left out above
}

Bytes frame_of(Op op, std::span<const std::byte> payload) {
  Bytes frame = nu::wire::start_frame();
  frame.insert(frame.end(), payload.begin(), payload.end());
  nu::wire::FrameHeader h;
  h.kind = FrameKind::Control;
  h.request_id = 7;
  h.target = static_cast<std::uint64_t>(op);
  nu::wire::finish_frame(frame, h);
  return frame;
}

template <class T> Bytes request(Op op, const T &body) {
  Bytes payload;
  nu::detail::encode(payload, nu::detail::SerialContext{}, body);
  return frame_of(op, payload);
}

/// Serves \p frame on \p conn; every reply must decode as the client reads
/// the reply to \p op.
void serve(Service &service, const std::shared_ptr<Recorder> &conn, Op op,
           Bytes frame) {
  service.on_frame(conn, std::move(frame));
  for (const Bytes &reply : conn->take()) {
    auto view = nu::wire::parse_frame(reply);
    check(view.ok(), "the service sent a frame that does not parse");
    check(view->header.kind == FrameKind::Control, "a reply of another kind");
    check(decodes(op, view->payload), "the client cannot read a reply");
  }
}

/// Node \p n joins on \p conn and registers proclet \p n there.
void join(Service &service, const std::shared_ptr<Recorder> &conn, int n) {
  JoinRequest join{{"node" + std::to_string(n) + ":7000",
                    Capacity{std::uint64_t{16} << 30, 4}, "build", "schema"},
                   n == 1,
                   Load{std::uint64_t{8} << 30, 0.5, 1}};
  serve(service, conn, Op::Join, request(Op::Join, join));
  auto id = static_cast<NodeId>(n); // the first ids the registry gives
  std::vector<Registration> r{{static_cast<ProcletId>(n), {id, 1}}};
  serve(service, conn, Op::Register, request(Op::Register, r));
}

void serve(Op op, std::span<const std::byte> payload, bool unbound) {
  ServiceOptions options;
  options.transport = "memory";
  Service service(options);
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  auto c = std::make_shared<Recorder>();
  join(service, a, 1);
  join(service, b, 2);
  serve(service, unbound ? c : a, op, frame_of(op, payload));
  serve(service, c, Op::Place, request(Op::Place, PlacementRequest{}));
  serve(service, c, Op::Status, request(Op::Status, None{}));
}

} // namespace

// The service's log lines (joins, refusals) would cost more than the
// inputs; what the fuzzer checks is in the replies.
extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  nu::log::set_level(nu::log::Level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  if (size == 0)
    return 0;
  auto op = static_cast<Op>(1 + (data[0] & 0x3f) % kMaxOp);
  auto payload = std::as_bytes(std::span(data + 1, size - 1));
  if ((data[0] & 0x80) != 0)
    (void)decodes(op, payload);
  else
    serve(op, payload, (data[0] & 0x40) != 0);
  return 0;
}
