// Serving requests on a node's workers: method and closure calls,
// remote creation, and reference weight traffic.
#include "Node.hpp"

#include "ControllerLink.hpp"
#include "Replies.hpp"
#include "nu/detail/entry_points.hpp"
#include "nu/errors.hpp"

namespace nu::detail {
Bytes Node::unavailable(const wire::FrameHeader &request,
                        const std::string &why) {
  return reply_with(request, wire::FrameKind::Unavailable, why);
}

/// A request for a proclet this node does not host and knows nothing of:
/// sent on to where the controller says it is.
bool Node::forward(const wire::FrameView &f, const Reply &reply) {
  if (!link_)
    return false;
  auto where = link_->resolve(f.header.proclet_id);
  if (!where || where->node == id() || !knows(where->node))
    return false;
  forward_to(where->node, f, reply, true);
  return true;
}

/// Sends a request on to node \p to and relays its reply back, marked with
/// where the proclet was found. Only hops on the controller's word count
/// (at most kMaxHops): a stale map could make a loop, while a node's own
/// record of where it sent the proclet always leads to a later stay.
void Node::forward_to(NodeId to, const wire::FrameView &f, const Reply &reply,
                      bool count_hop) {
  wire::FrameHeader header = f.header;
  unsigned hops = (header.flags & wire::kHops) >> wire::kHopShift;
  hops += count_hop ? 1 : 0;
  bool one_way = header.flags & wire::kOneWay;
  if (hops > wire::kMaxHops) {
    if (!one_way)
      reply(unavailable(header, "proclet " + std::to_string(header.proclet_id) +
                                    " was forwarded too many times"));
    return;
  }
  header.flags = (header.flags & ~wire::kHops) | wire::kForwarded |
                 (hops << wire::kHopShift);
  Bytes frame = wire::start_frame();
  frame.insert(frame.end(), f.payload.begin(), f.payload.end());
  if (one_way) {
    wire::finish_frame(frame, header);
    return send_frame(to, std::move(frame));
  }
  wire::FrameHeader request = f.header;
  relay_rpc(to, header, std::move(frame), [this, request, to, reply](Bytes r) {
    if (r.empty())
      return reply(unavailable(request, unreachable(to)));
    auto h = wire::parse_header(r);
    h->request_id = request.request_id;
    if (!(h->flags & wire::kRelocated)) // the last hop knows best
      h->target = to;
    h->flags |= wire::kRelocated;
    wire::finish_frame(r, *h);
    reply(std::move(r));
  });
}

void Node::serve(Bytes frame, Reply reply) {
  auto view = wire::parse_frame(frame);
  switch (view->header.kind) {
  case wire::FrameKind::Call:
  case wire::FrameKind::CallClosure:
    if (serve_call(*view, reply))
      return;
    break;
  case wire::FrameKind::GrantWeight:
    if (serve_grant(*view, reply))
      return;
    break;
  case wire::FrameKind::Release:
    if (serve_release(*view))
      return;
    break;
  case wire::FrameKind::Create:
    return serve_create(*view, reply);
  case wire::FrameKind::Migrate:
    return serve_migrate(std::move(frame), *view, reply); // keeps its buffer
  case wire::FrameKind::Replicate:
    return serve_replicate(*view, reply);
  case wire::FrameKind::Move:
    if (view->header.proclet_id == 0 || hosts(view->header.proclet_id))
      return serve_move(*view, reply);
    break; // follow the proclet
  default:
    return; // replies never get here; Control comes with the controller
  }
  relocate(std::move(frame), std::move(reply));
}

/// Runs the method or closure the request names, inside its proclet.
bool Node::serve_call(const wire::FrameView &f, const Reply &reply) {
  const wire::FrameHeader &h = f.header;
  std::shared_ptr<Slot> slot = find_slot(h.proclet_id);
  if (!slot || !slot->try_enter())
    return false;
  if (slot->replicas) {
    serve_replicated(slot, f, reply); // leaves once replicated
    return true;
  }
  struct Leave {
    Slot &s;
    std::chrono::steady_clock::time_point start =
        std::chrono::steady_clock::now();
    ~Leave() {
      auto spent = std::chrono::steady_clock::now() - start;
      s.cpu_ns.fetch_add(std::chrono::nanoseconds(spent).count(),
                         std::memory_order_relaxed);
      s.leave();
    }
  } leave{*slot};
  std::span<const std::byte> args = f.payload;
  std::optional<CallTag> tag; // a replicated proclet's caller may tag
  if ((h.flags & wire::kTagged) && !split_tag(args, tag))
    reply(untagged(h));
  else
    reply(invoke(*slot, h, args));
  return true;
}

/// The answer to a call flagged tagged that is too short for its tag.
Bytes Node::untagged(const wire::FrameHeader &request) {
  return reply_with(request, wire::FrameKind::Error, std::string("nu::Error"),
                    std::string("nu: a tagged call without its tag"));
}

/// Takes the CallTag off the end of a call's \p args if it has one (a call
/// to a replicated proclet); false if the payload is too short for it.
bool Node::split_tag(std::span<const std::byte> &args,
                     std::optional<CallTag> &tag) {
  if (args.size() < kCallTagSize)
    return false;
  CallTag t;
  Decoder in(args.last(kCallTagSize), SerialContext{});
  in(t);
  tag = t;
  args = args.first(args.size() - kCallTagSize);
  return true;
}

/// Runs the method or closure \p h names on \p slot's object with the
/// encoded \p args; returns the reply: its result or its exception.
Bytes Node::invoke(Slot &slot, const wire::FrameHeader &h,
                   std::span<const std::byte> args) {
  Bytes out = wire::start_frame();
  HeapScope heap(slot.heap_flags); // the reply is charged too, briefly
  try {
    Decoder in(args, SerialContext{this});
    OutArchive ar(out, SerialContext{this});
    if (h.kind == wire::FrameKind::Call) {
      const MethodEntry *m = slot.type->find_method(h.target);
      if (!m)
        throw DecodeError("no method with id " + std::to_string(h.target));
      m->dispatch(slot.object, in.archive(), ar);
    } else {
      ClosureRun run = find_closure(h.target);
      const void *fn = h.aux ? function_from_id(h.aux) : nullptr;
      if (!run || (h.aux && !fn))
        throw DecodeError("unknown closure id " + std::to_string(h.target));
      run(slot.object, fn, in.archive(), ar);
    }
    in.finish();
  } catch (...) {
    return error_reply(h);
  }
  return reply_frame(h, wire::FrameKind::Result, std::move(out));
}

/// Constructs a proclet here and hands all its weight to the creator.
void Node::serve_create(const wire::FrameView &f, const Reply &reply) {
  const wire::FrameHeader &h = f.header;
  const ProcletType *type = TypeRegistry::instance().find(h.target);
  ConstructorRun ctor = find_constructor(h.aux);
  if (!type || !ctor)
    return reply(unavailable(h, "unknown proclet type or constructor"));
  ProcletOptions options;
  options.pinned = (h.flags & wire::kPinned) != 0;
  options.replicas = (h.flags & wire::kReplicas) >> wire::kReplicaShift;
  void *object = nullptr;
  unsigned heap = heaps_.acquire();
  try {
    HeapScope scope(HeapPool::flags(heap));
    Decoder in(f.payload, SerialContext{this});
    object = ctor(in.archive());
    in.finish();
  } catch (...) {
    if (object) {
      HeapScope scope(HeapPool::flags(heap));
      type->destroy(object);
    }
    heaps_.release(heap);
    return reply(error_reply(h));
  }
  auto slot = host_new(*type, object, options, heap);
  reply(reply_with(h, wire::FrameKind::Result, slot->id, kInitialWeight));
}

// Weight changes are guarded calls, so that a migration, which waits for
// those, sends the proclet's final weight.
bool Node::serve_grant(const wire::FrameView &f, const Reply &reply) {
  std::shared_ptr<Slot> slot = find_slot(f.header.proclet_id);
  if (!slot || !slot->try_enter())
    return false;
  if (slot->replicas)
    replicate_weight(slot, f.header.aux);
  else
    slot->weight.fetch_add(f.header.aux, std::memory_order_relaxed);
  slot->leave();
  reply(reply_frame(f.header, wire::FrameKind::Result, wire::start_frame(),
                    f.header.aux));
  return true;
}

bool Node::serve_release(const wire::FrameView &f) {
  std::shared_ptr<Slot> slot = find_slot(f.header.proclet_id);
  if (!slot || !slot->try_enter())
    return false;
  std::shared_ptr<Slot> gone = subtract_weight(*slot, f.header.aux);
  slot->leave();
  if (gone && gone->replicas)
    drop_backups(*gone);
  if (gone)
    submit([this, gone] { destroy(gone); });
  return true;
}

} // namespace nu::detail
