// Serving requests on a node's workers: method and closure calls,
// remote creation, and reference weight traffic.
#include "Node.hpp"

#include "ControllerLink.hpp"
#include "nu/detail/entry_points.hpp"
#include "nu/errors.hpp"

namespace nu::detail {
namespace {

Bytes reply_frame(const net::FrameHeader &request, net::FrameKind kind,
                  Bytes frame, std::uint64_t aux = 0) {
  net::FrameHeader h;
  h.kind = kind;
  h.request_id = request.request_id;
  h.proclet_id = request.proclet_id;
  h.aux = aux;
  net::finish_frame(frame, h);
  return frame;
}

template <class... Ts>
Bytes reply_with(const net::FrameHeader &request, net::FrameKind kind,
                 const Ts &...values) {
  Bytes frame = net::start_frame();
  encode(frame, SerialContext{}, values...);
  return reply_frame(request, kind, std::move(frame));
}

/// The reply for the exception being handled.
Bytes error_reply(const net::FrameHeader &request) {
  try {
    std::rethrow_exception(as_remote_error(std::current_exception()));
  } catch (const RemoteError &e) {
    return reply_with(request, net::FrameKind::Error, e.type_name(),
                      std::string(e.what()));
  }
}

} // namespace

Bytes Node::unavailable(const net::FrameHeader &request,
                        const std::string &why) {
  return reply_with(request, net::FrameKind::Unavailable, why);
}

/// A request for a proclet this node does not host: sent on to where the
/// controller says it is (once: a forwarded request is never forwarded
/// again), the reply relayed back marked with the proclet's location.
bool Node::forward(const net::FrameView &f, const Reply &reply) {
  if (!link_ || (f.header.flags & net::kForwarded))
    return false;
  auto where = link_->resolve(f.header.proclet_id);
  if (!where || where->node == id() || !knows(where->node))
    return false;
  net::FrameHeader header = f.header;
  header.flags |= net::kForwarded;
  Bytes frame = net::start_frame();
  frame.insert(frame.end(), f.payload.begin(), f.payload.end());
  NodeId to = where->node;
  if (header.flags & net::kOneWay) {
    net::finish_frame(frame, header);
    send_frame(to, std::move(frame));
    return true;
  }
  net::FrameHeader request = f.header;
  relay_rpc(to, header, std::move(frame), [this, request, to, reply](Bytes r) {
    if (r.empty())
      return reply(unavailable(request, unreachable(to)));
    auto h = net::parse_header(r);
    h->request_id = request.request_id;
    h->flags |= net::kRelocated;
    h->target = to;
    net::finish_frame(r, *h);
    reply(std::move(r));
  });
  return true;
}

void Node::serve(Bytes frame, Reply reply) {
  auto view = net::parse_frame(frame);
  switch (view->header.kind) {
  case net::FrameKind::Call:
  case net::FrameKind::CallClosure:
    return serve_call(*view, reply);
  case net::FrameKind::Create:
    return serve_create(*view, reply);
  case net::FrameKind::GrantWeight:
    return serve_grant(*view, reply);
  case net::FrameKind::Release:
    return serve_release(*view);
  default:
    return; // replies never get here; Control comes with the controller
  }
}

/// Runs the method or closure the request names, inside its proclet.
void Node::serve_call(const net::FrameView &f, const Reply &reply) {
  const net::FrameHeader &h = f.header;
  std::shared_ptr<Slot> slot = find_slot(h.proclet_id);
  if (!slot && forward(f, reply))
    return;
  if (!slot || !slot->try_enter())
    return reply(unavailable(h, "no proclet " + std::to_string(h.proclet_id) +
                                    " on node " + std::to_string(id())));
  struct Leave {
    Slot &s;
    ~Leave() { s.leave(); }
  } leave{*slot};
  Bytes out = net::start_frame();
  try {
    Decoder in(f.payload, SerialContext{this});
    OutArchive ar(out, SerialContext{this});
    SlotScope scope(slot.get());
    if (h.kind == net::FrameKind::Call) {
      const MethodEntry *m = slot->type->find_method(h.target);
      if (!m)
        throw DecodeError("no method with id " + std::to_string(h.target));
      m->dispatch(slot->object, in.archive(), ar);
    } else {
      ClosureRun run = find_closure(h.target);
      const void *fn = h.aux ? function_from_id(h.aux) : nullptr;
      if (!run || (h.aux && !fn))
        throw DecodeError("unknown closure id " + std::to_string(h.target));
      run(slot->object, fn, in.archive(), ar);
    }
    in.finish();
  } catch (...) {
    return reply(error_reply(h));
  }
  reply(reply_frame(h, net::FrameKind::Result, std::move(out)));
}

/// Constructs a proclet here and hands all its weight to the creator.
void Node::serve_create(const net::FrameView &f, const Reply &reply) {
  const net::FrameHeader &h = f.header;
  const ProcletType *type = TypeRegistry::instance().find(h.target);
  ConstructorRun ctor = find_constructor(h.aux);
  if (!type || !ctor)
    return reply(unavailable(h, "unknown proclet type or constructor"));
  bool pinned = (h.flags & net::kPinned) != 0;
  void *object = nullptr;
  try {
    Decoder in(f.payload, SerialContext{this});
    object = ctor(in.archive());
    in.finish();
  } catch (...) {
    if (object)
      type->destroy(object);
    return reply(error_reply(h));
  }
  auto slot = host_slot(*type, object, pinned, kInitialWeight);
  reply(reply_with(h, net::FrameKind::Result, slot->id, kInitialWeight));
}

void Node::serve_grant(const net::FrameView &f, const Reply &reply) {
  std::shared_ptr<Slot> slot = find_slot(f.header.proclet_id);
  if (!slot && forward(f, reply))
    return;
  if (!slot)
    return reply(unavailable(f.header, "no such proclet"));
  slot->weight.fetch_add(f.header.aux, std::memory_order_relaxed);
  reply(reply_frame(f.header, net::FrameKind::Result, net::start_frame(),
                    f.header.aux));
}

void Node::serve_release(const net::FrameView &f) {
  if (std::shared_ptr<Slot> slot = find_slot(f.header.proclet_id))
    return subtract_weight(*slot, f.header.aux);
  forward(f, [](Bytes) {});
}

} // namespace nu::detail
