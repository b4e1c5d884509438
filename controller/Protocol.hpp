// The controller's wire protocol: Control frames whose `target` names the
// operation and whose payload is one of the messages below (docs/wire.md).
#pragma once

#include "ControllerCore.hpp"

#include "nu/detail/archive.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace nu::controller {

/// Operations, carried in a Control frame's `target`. Requests from nodes
/// and tools, except Exit, which the controller pushes to a node.
enum class Op : std::uint64_t {
  Join = 1,         ///< JoinRequest -> JoinReply
  Rejoin = 2,       ///< RejoinRequest -> Membership
  Heartbeat = 3,    ///< HeartbeatRequest -> Membership
  Leave = 4,        ///< NodeId -> (nothing)
  Place = 5,        ///< PlacementRequest -> NodeId
  GrantIds = 6,     ///< NodeId -> IdRange
  Register = 7,     ///< one-way: std::vector<Registration>
  Unregister = 8,   ///< one-way: std::vector<ProcletId>
  Resolve = 9,      ///< ProcletId -> Location
  Status = 10,      ///< (nothing) -> StatusReply
  EndProcess = 11,  ///< (nothing) -> (nothing); every other node gets Exit
  Exit = 12,        ///< pushed to a node: the logical process has ended
  Claim = 13,       ///< Registration -> bool: a backup takes over
  PlaceMany = 14,   ///< PlacementLease -> std::vector<NodeId>
  ResolveMany = 15, ///< std::vector<ProcletId> -> std::vector<Location>
  Leaving = 16,     ///< NodeId -> (nothing); placement passes the node over
};
constexpr std::uint64_t kMaxOp = 16;

/// The most proclets one ResolveMany may ask about.
constexpr std::size_t kMaxResolveMany = 1 << 16;

/// A live node as other nodes need to know it.
struct Peer {
  NodeId id = 0;
  std::string address;   ///< where other nodes reach it
  std::string published; ///< its address for outside clients ("": none)
  bool operator==(const Peer &) const = default;
};

struct JoinRequest {
  NodeHello hello;
  bool main = false; ///< runs nu::main's function
  Load load;         ///< measured when joining: placement uses it at once
};

struct RejoinRequest {
  NodeReport report;
  bool main = false;
};

struct JoinReply {
  NodeId id = 0;
  IdRange ids;
  std::vector<Peer> peers; ///< every live node, the new one included
  std::uint32_t heartbeat_ms = 0;
};

struct HeartbeatRequest {
  NodeId id = 0;
  Load load;
  std::string published; ///< nu::publish_address's ("": none)
};

/// The live nodes, and the ids of nodes known to be dead or departed (a
/// node in neither list is one a restarted controller has not heard from
/// yet: not a reason to give up on it).
struct Membership {
  std::vector<Peer> peers;
  std::vector<NodeId> gone;
};

struct Registration {
  ProcletId id = 0;
  Location location;
};

/// What `nuctl status` shows.
struct StatusReply {
  std::vector<NodeInfo> nodes; ///< every node ever registered
  std::uint64_t proclets = 0;  ///< entries in the location map
};

/// The payload of a Control reply: ok, or an error code and message.
struct ReplyStatus {
  bool ok = true;
  Errc code = Errc::invalid_argument;
  std::string message;
};

// cereal serializers (found by ADL).
template <class A> void serialize(A &ar, Capacity &c) {
  ar(c.memory_bytes, c.cpus);
}
template <class A> void serialize(A &ar, Load &l) {
  ar(l.free_memory, l.cpu_load, l.proclet_count);
}
template <class A> void serialize(A &ar, Location &l) { ar(l.node, l.epoch); }
template <class A> void serialize(A &ar, ProcletReport &r) {
  ar(r.id, r.epoch);
}
template <class A> void serialize(A &ar, NodeHello &h) {
  ar(h.address, h.capacity, h.build_id, h.schema_digest);
}
template <class A> void serialize(A &ar, NodeReport &r) {
  ar(r.id, r.hello, r.load, r.max_id, r.proclets);
}
template <class A> void serialize(A &ar, RejoinRequest &r) {
  ar(r.report, r.main);
}
template <class A> void serialize(A &ar, IdRange &r) { ar(r.begin, r.end); }
template <class A> void serialize(A &ar, PlacementRequest &r) {
  ar(r.node, r.expected_size, r.exclude);
}
template <class A> void serialize(A &ar, PlacementLease &r) {
  ar(r.node, r.expected_size, r.count);
}
template <class A> void serialize(A &ar, Peer &p) {
  ar(p.id, p.address, p.published);
}
template <class A> void serialize(A &ar, JoinRequest &r) {
  ar(r.hello, r.main, r.load);
}
template <class A> void serialize(A &ar, JoinReply &r) {
  ar(r.id, r.ids, r.peers, r.heartbeat_ms);
}
template <class A> void serialize(A &ar, HeartbeatRequest &r) {
  ar(r.id, r.load, r.published);
}
template <class A> void serialize(A &ar, Membership &m) { ar(m.peers, m.gone); }
template <class A> void serialize(A &ar, Registration &r) {
  ar(r.id, r.location);
}
template <class A> void save(A &ar, const NodeInfo &n) {
  ar(n.id, n.address, n.published, n.capacity, n.load, n.heartbeats,
     static_cast<std::uint8_t>(n.state), n.leaving);
}
template <class A> void load(A &ar, NodeInfo &n) {
  std::uint8_t state = 0;
  ar(n.id, n.address, n.published, n.capacity, n.load, n.heartbeats, state,
     n.leaving);
  if (state > static_cast<std::uint8_t>(NodeState::dead))
    throw detail::DecodeError("bad node state");
  n.state = static_cast<NodeState>(state);
}
template <class A> void serialize(A &ar, StatusReply &r) {
  ar(r.nodes, r.proclets);
}
template <class A> void save(A &ar, const ReplyStatus &s) {
  ar(s.ok, static_cast<std::uint8_t>(s.code), s.message);
}
template <class A> void load(A &ar, ReplyStatus &s) {
  std::uint8_t code = 0;
  ar(s.ok, code, s.message);
  if (code < 1 || code > static_cast<std::uint8_t>(kMaxErrc))
    throw detail::DecodeError("bad error code");
  s.code = static_cast<Errc>(code);
}

/// "live", "left" or "dead".
std::string_view to_string(NodeState state);

} // namespace nu::controller
