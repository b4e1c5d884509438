// A node facing bad frames from a peer: garbage closes only that link,
// well-framed requests with bad contents get an error reply, and the node
// keeps serving everyone else.
#include "Cluster.hpp"
#include "TestProclets.hpp"
#include "migrate/Transfer.hpp"
#include "nu/wire/frame.hpp"
#include "replicate/Replication.hpp"

#include <fstream>
#include <future>
#include <thread>
#include <unistd.h>

namespace nutest {
namespace {

/// A raw client of a node (node 2 unless told) speaking frames directly.
struct RawPeer {
  explicit RawPeer(Cluster &cluster) : RawPeer(cluster, cluster.b()) {}
  /// With \p secret, the peer proves it, as \p role.
  RawPeer(Cluster &cluster, nu::detail::Node &node,
          std::shared_ptr<const nu::net::Secret> secret = nullptr,
          nu::net::PeerRole role = nu::net::PeerRole::node)
      : transport(std::move(*nu::net::make_transport(
            "memory", options(cluster, secret, role)))) {
    nu::net::Handlers h;
    h.on_frame = [this](const auto &, nu::detail::Bytes frame) {
      replies.set_value(std::move(frame));
    };
    h.on_close = [this](const auto &, std::error_code) { closed.set_value(); };
    conn = *transport->connect(node.address(), h);
  }
  static nu::net::TransportOptions
  options(Cluster &cluster, std::shared_ptr<const nu::net::Secret> secret,
          nu::net::PeerRole role) {
    nu::net::TransportOptions o;
    o.memory_hub = cluster.hub();
    o.secret = std::move(secret);
    o.role = role;
    return o;
  }
  // Declared first, destroyed last: handlers may run until the transport
  // is gone.
  std::promise<nu::detail::Bytes> replies;
  std::promise<void> closed;
  std::unique_ptr<nu::net::Transport> transport;
  std::shared_ptr<nu::net::Connection> conn;
};

class Wire : public testing::Test {
protected:
  Cluster cluster_{true};
  nu::detail::NodeScope scope_{&cluster_.a()};
};

TEST_F(Wire, GarbageClosesOnlyThatConnection) {
  auto c = nu::make_proclet<Counter>(3);
  RawPeer peer(cluster_);
  nu::detail::Bytes garbage(64, std::byte{0x5a});
  peer.conn->send(garbage);
  EXPECT_EQ(peer.closed.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_EQ(c.Run(&Counter::Get), 3) << "other links keep working";
}

// Replies sprayed at the caller from another connection, with every request
// id it may be waiting on, complete nothing (once, 245 of 109,632 redis GETs
// returned such bytes); the connection that sent them is closed.
TEST_F(Wire, ForgedRepliesOnAnotherConnectionCompleteNothing) {
  auto c = nu::make_proclet<Counter>(3);
  auto sleeping = c.RunAsync(&Counter::Sleep, 1500);
  RawPeer forger(cluster_, cluster_.a());
  for (std::uint64_t id = 1; id <= 5000; ++id) {
    nu::detail::Bytes frame = nu::wire::start_frame();
    nu::wire::FrameHeader h;
    h.kind = nu::wire::FrameKind::Result;
    h.request_id = id;
    nu::wire::finish_frame(frame, h);
    if (forger.conn->send(std::move(frame)))
      break; // closed already
  }
  EXPECT_EQ(forger.closed.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_FALSE(sleeping.ready()) << "a forged reply completed the call";
  sleeping.get();
  EXPECT_EQ(c.Run(&Counter::Get), 3);
}

TEST_F(Wire, UndecodableRequestGetsAnErrorReply) {
  auto c = nu::make_proclet<Counter>(3);
  RawPeer peer(cluster_);
  nu::detail::Bytes frame = nu::wire::start_frame();
  frame.push_back(std::byte{1}); // not a tuple<int>
  nu::wire::FrameHeader h;
  h.kind = nu::wire::FrameKind::Call;
  h.request_id = 7;
  h.proclet_id = c.id();
  h.target = nu::detail::proclet_type(typeid(Counter), "")
                 .find_method(nu::detail::method_key(&Counter::Add))
                 ->id;
  nu::wire::finish_frame(frame, h);
  peer.conn->send(frame);
  auto reply = peer.replies.get_future();
  ASSERT_EQ(reply.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  auto bytes = reply.get();
  auto view = nu::wire::parse_frame(bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->header.kind, nu::wire::FrameKind::Error);
  EXPECT_EQ(view->header.request_id, 7u);
  EXPECT_EQ(c.Run(&Counter::Get), 3) << "the proclet was not touched";
}

TEST_F(Wire, CallToUnknownProcletIsUnavailable) {
  RawPeer peer(cluster_);
  nu::detail::Bytes frame = nu::wire::start_frame();
  nu::wire::FrameHeader h;
  h.kind = nu::wire::FrameKind::Call;
  h.request_id = 9;
  h.proclet_id = 12345;
  nu::wire::finish_frame(frame, h);
  peer.conn->send(frame);
  auto bytes = peer.replies.get_future().get();
  EXPECT_EQ(nu::wire::parse_frame(bytes)->header.kind,
            nu::wire::FrameKind::Unavailable);
}

/// The reply node 2 gives a frame of \p kind with \p payload.
nu::wire::FrameView reply_to(RawPeer &peer, nu::wire::FrameHeader h,
                             const nu::detail::Bytes &payload,
                             nu::detail::Bytes &bytes) {
  nu::detail::Bytes frame = nu::wire::start_frame();
  frame.insert(frame.end(), payload.begin(), payload.end());
  nu::wire::finish_frame(frame, h);
  peer.conn->send(frame);
  auto reply = peer.replies.get_future();
  EXPECT_EQ(reply.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  bytes = reply.get();
  return *nu::wire::parse_frame(bytes);
}

TEST_F(Wire, ATaggedCallTooShortForItsTagGetsAnError) {
  auto c = nu::make_proclet<Counter>(3);
  RawPeer peer(cluster_);
  nu::wire::FrameHeader h;
  h.kind = nu::wire::FrameKind::Call;
  h.flags = nu::wire::kTagged;
  h.request_id = 4;
  h.proclet_id = c.id();
  nu::detail::Bytes bytes;
  auto reply = reply_to(peer, h, nu::detail::Bytes(3), bytes);
  EXPECT_EQ(reply.header.kind, nu::wire::FrameKind::Error);
  EXPECT_EQ(c.Run(&Counter::Get), 3);
}

/// The ReplicaAck of node 2 to a Replicate frame with \p payload.
int replicate_ack(Cluster &cluster, nu::wire::FrameHeader h,
                  const nu::detail::Bytes &payload) {
  RawPeer peer(cluster);
  h.kind = nu::wire::FrameKind::Replicate;
  h.request_id = 5;
  nu::detail::Bytes bytes;
  auto reply = reply_to(peer, h, payload, bytes);
  if (reply.header.kind != nu::wire::FrameKind::Result)
    return -1;
  std::uint8_t ack = 0;
  nu::detail::Decoder in(reply.payload, nu::detail::SerialContext{});
  in(ack);
  return ack;
}

TEST_F(Wire, ForgedReplicateFramesChangeNothing) {
  auto c = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2}, 3);
  nu::detail::ReplicaOp op;
  op.request = static_cast<std::uint8_t>(nu::wire::FrameKind::Call);
  nu::detail::Bytes encoded;
  nu::detail::encode(encoded, nu::detail::SerialContext{}, op);
  nu::wire::FrameHeader h;
  h.proclet_id = 999; // no copy of it here: send it whole
  EXPECT_EQ(replicate_ack(cluster_, h, encoded), 2);
  h.proclet_id = c.id(); // node 2 hosts it: the sender is no primary
  EXPECT_EQ(replicate_ack(cluster_, h, encoded), 1);
  EXPECT_EQ(replicate_ack(cluster_, h, nu::detail::Bytes(5)), -1); // garbage
  for (auto [kind, request] : {std::pair{7, 1}, std::pair{1, 3}}) {
    op.kind = static_cast<std::uint8_t>(kind); // unknown, or not a call
    op.request = static_cast<std::uint8_t>(request);
    encoded.clear();
    nu::detail::encode(encoded, nu::detail::SerialContext{}, op);
    EXPECT_EQ(replicate_ack(cluster_, h, encoded), -1);
  }
  EXPECT_EQ(c.Run(&Counter::Get), 3);
}

/// A Migrate frame's header: a Counter's state for \p proclet.
nu::wire::FrameHeader migrate_header(nu::ProcletId proclet,
                                     std::uint64_t request_id) {
  nu::wire::FrameHeader h;
  h.kind = nu::wire::FrameKind::Migrate;
  h.request_id = request_id;
  h.proclet_id = proclet;
  h.target = nu::detail::proclet_type(typeid(Counter), "").id;
  return h;
}

TEST_F(Wire, MalformedMigrationChunkGetsAnErrorAndChangesNothing) {
  auto c = nu::make_proclet<Counter>(3);
  RawPeer peer(cluster_);
  nu::wire::FrameHeader h = migrate_header(777, 11);
  nu::detail::Bytes bytes;
  auto view = reply_to(peer, h, nu::detail::Bytes(5, std::byte{0x7f}), bytes);
  EXPECT_EQ(view.header.kind, nu::wire::FrameKind::Error);
  EXPECT_EQ(view.header.request_id, 11u);
  EXPECT_EQ(cluster_.b().proclet_count(), 1u) << "nothing was hosted";
  EXPECT_EQ(c.Run(&Counter::Get), 3);
}

/// Resident bytes of this process.
std::size_t rss_bytes() {
  std::size_t pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// The kind of the reply to one chunk of transfer 99 from node 9.
nu::wire::FrameKind send_chunk(Cluster &cluster, std::uint64_t offset,
                               std::uint64_t total, std::size_t size) {
  RawPeer peer(cluster);
  nu::wire::FrameHeader h = migrate_header(778, 13);
  nu::detail::ChunkInfo info{9, 99, offset, total, 1, 1, false};
  nu::detail::Bytes payload;
  nu::detail::encode(payload, nu::detail::SerialContext{}, info);
  payload.resize(payload.size() + size, std::byte{1});
  nu::detail::Bytes bytes;
  return reply_to(peer, h, std::move(payload), bytes).header.kind;
}

// A chunk claiming a 6 GiB state once made the node allocate and zero all
// of it; now the buffer holds what came. Chunks past the window, repeated
// or off the chunk boundaries are refused, and end their transfer.
TEST_F(Wire, MigrationChunksClaimingAHugeStateHoldOnlyWhatCame) {
  using nu::wire::FrameKind;
  constexpr std::uint64_t kClaimed = 6ull << 30;
  constexpr std::size_t kChunk = nu::detail::kMigrationChunk;
  auto before = rss_bytes();
  EXPECT_EQ(send_chunk(cluster_, 0, kClaimed, kChunk), FrameKind::Result);
  EXPECT_EQ(send_chunk(cluster_, kChunk, kClaimed, kChunk), FrameKind::Result);
  EXPECT_LT(rss_bytes() - std::min(before, rss_bytes()), std::size_t{1} << 30)
      << "held what came, not what was claimed";
  EXPECT_EQ(send_chunk(cluster_, kChunk, kClaimed, kChunk), FrameKind::Error)
      << "a repeated chunk";
  EXPECT_EQ(send_chunk(cluster_, 0, kClaimed, kChunk), FrameKind::Result)
      << "a new transfer after the refusal ended the old one";
  EXPECT_EQ(send_chunk(cluster_, 5ull << 30, kClaimed, kChunk),
            FrameKind::Error)
      << "far past the window";
  EXPECT_EQ(send_chunk(cluster_, 0, kClaimed, kChunk), FrameKind::Result);
  EXPECT_EQ(send_chunk(cluster_, kChunk + 1, kClaimed, kChunk),
            FrameKind::Error)
      << "off the chunk boundaries";
  EXPECT_EQ(send_chunk(cluster_, kChunk, 3 * kChunk, 2 * kChunk),
            FrameKind::Error)
      << "longer than a chunk: its end met the total, leaving chunk 0 a gap";
  EXPECT_EQ(send_chunk(cluster_, 0, 3 * kChunk, kChunk - 1), FrameKind::Error)
      << "shorter than a chunk, not the last";
  EXPECT_EQ(cluster_.b().proclet_count(), 0u) << "nothing was hosted";
}

// A replicated proclet's state claiming more backups than any proclet may
// keep, or lacking the replies and backups it must carry, is refused; the
// same state of a proclet that is not replicated is hosted.
TEST_F(Wire, AReplicatedStateThatLiesGetsAnErrorAndIsNotHosted) {
  for (std::uint32_t replicas : {9u, 1u, 0u}) {
    RawPeer peer(cluster_);
    nu::wire::FrameHeader h = migrate_header(779, 14);
    nu::detail::ChunkInfo info{9, 98, 0, sizeof(int), 1, 1, false};
    info.replicas = replicas;
    nu::detail::Bytes payload;
    nu::detail::encode(payload, nu::detail::SerialContext{}, info,
                       int{5}); // a Counter's whole state, nothing after
    nu::detail::Bytes bytes;
    EXPECT_EQ(reply_to(peer, h, std::move(payload), bytes).header.kind,
              replicas ? nu::wire::FrameKind::Error
                       : nu::wire::FrameKind::Result)
        << replicas << " backups";
    EXPECT_EQ(cluster_.b().proclet_count(), replicas ? 0u : 1u);
  }
}

TEST_F(Wire, MoveOfAnUnknownProcletIsUnavailable) {
  RawPeer peer(cluster_);
  nu::wire::FrameHeader h;
  h.kind = nu::wire::FrameKind::Move;
  h.request_id = 12;
  h.proclet_id = 12345;
  h.target = 1;
  nu::detail::Bytes bytes;
  auto view = reply_to(peer, h, {}, bytes);
  EXPECT_EQ(view.header.kind, nu::wire::FrameKind::Unavailable);
}

// A Move's aux says what is asked: 1 lists what the node holds and moves
// nothing; another value is refused, and nothing moves either.
TEST_F(Wire, AMoveListsOnRequestAndRefusesAnUnknownRequest) {
  auto c = nu::make_proclet<Counter>(3);
  ASSERT_EQ(c.Run(&Counter::Where), 2u);
  for (std::uint64_t aux : {std::uint64_t{1}, std::uint64_t{7}}) {
    RawPeer peer(cluster_);
    nu::wire::FrameHeader h;
    h.kind = nu::wire::FrameKind::Move;
    h.request_id = 15;
    h.proclet_id = c.id();
    h.target = 1;
    h.aux = aux;
    nu::detail::Bytes bytes;
    auto view = reply_to(peer, h, {}, bytes);
    ASSERT_EQ(view.header.kind, aux == 1 ? nu::wire::FrameKind::Result
                                         : nu::wire::FrameKind::Error);
    if (aux == 1) {
      std::vector<nu::wire::ProcletListing> listing;
      nu::detail::Decoder in(view.payload, nu::detail::SerialContext{});
      in(listing);
      ASSERT_EQ(listing.size(), 1u);
      EXPECT_EQ(std::get<0>(listing[0]), c.id());
    }
    EXPECT_EQ(c.Run(&Counter::Where), 2u) << "aux " << aux << ": no move";
  }
}

// A GoAway says that the node at the other end of the connection it came
// on is leaving: on a connection the receiver did not open (a raw peer's),
// it is answered and changes nothing, whatever its payload.
TEST_F(Wire, AGoAwayOnAConnectionTheNodeDidNotOpenChangesNothing) {
  auto c = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2}, 3);
  for (auto payload : {nu::detail::Bytes{}, nu::detail::Bytes(5)}) {
    RawPeer peer(cluster_);
    nu::wire::FrameHeader h;
    h.kind = nu::wire::FrameKind::GoAway;
    h.request_id = 16;
    nu::detail::Bytes bytes;
    EXPECT_EQ(reply_to(peer, h, payload, bytes).header.kind,
              nu::wire::FrameKind::Result);
  }
  EXPECT_EQ(c.Run(&Counter::Get), 3);
  nu::detail::NodeScope from_b(&cluster_.b());
  auto d = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 1}, 4);
  EXPECT_EQ(d.Run(&Counter::Get), 4) << "node 2 still calls node 1";
}

// A flood of GoAways from a raw peer, pipelined: each is answered, the
// connection stays open, and the node goes on calling and being called.
TEST_F(Wire, AFloodOfGoAwaysIsAnsweredAndChangesNothing) {
  constexpr int kFlood = 20'000;
  auto c = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2}, 3);
  std::atomic<int> results{0}, others{0};
  std::atomic<bool> closed{false};
  nu::net::Handlers h;
  h.on_frame = [&](const auto &, nu::detail::Bytes frame) {
    auto view = nu::wire::parse_frame(frame);
    (view && view->header.kind == nu::wire::FrameKind::Result ? results
                                                              : others)++;
  };
  h.on_close = [&](const auto &, std::error_code) { closed = true; };
  auto transport = std::move(*nu::net::make_transport(
      "memory", RawPeer::options(cluster_, nullptr, nu::net::PeerRole::node)));
  auto conn = *transport->connect(cluster_.b().address(), h);
  for (int i = 0; i < kFlood; ++i) {
    nu::detail::Bytes frame = nu::wire::start_frame();
    nu::wire::FrameHeader go_away;
    go_away.kind = nu::wire::FrameKind::GoAway;
    go_away.request_id = static_cast<std::uint64_t>(i) + 1;
    nu::wire::finish_frame(frame, go_away);
    ASSERT_FALSE(conn->send(std::move(frame))) << "frame " << i;
  }
  EXPECT_TRUE(eventually([&] { return results + others == kFlood; }))
      << results << " results, " << others << " others";
  EXPECT_EQ(others.load(), 0);
  EXPECT_FALSE(closed.load());
  EXPECT_EQ(c.Run(&Counter::Get), 3);
  nu::detail::NodeScope from_b(&cluster_.b());
  auto d = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 1}, 4);
  EXPECT_EQ(d.Run(&Counter::Get), 4) << "node 2 still calls node 1";
  transport->shutdown();
}

/// The kind of node 2's reply to a GoAway from a raw peer.
nu::wire::FrameKind go_away_from(Cluster &cluster,
                                 std::shared_ptr<const nu::net::Secret> secret,
                                 nu::net::PeerRole role) {
  RawPeer peer(cluster, cluster.b(), std::move(secret), role);
  nu::wire::FrameHeader h;
  h.kind = nu::wire::FrameKind::GoAway;
  h.request_id = 17;
  nu::detail::Bytes bytes;
  return reply_to(peer, h, {}, bytes).header.kind;
}

/// A one-way Release of \p weight of \p proclet from a raw peer.
void release(Cluster &cluster, nu::ProcletId proclet, std::uint64_t weight,
             std::shared_ptr<const nu::net::Secret> secret = nullptr,
             nu::net::PeerRole role = nu::net::PeerRole::node) {
  RawPeer peer(cluster, cluster.b(), std::move(secret), role);
  nu::detail::Bytes frame = nu::wire::start_frame();
  nu::wire::FrameHeader h;
  h.kind = nu::wire::FrameKind::Release;
  h.flags = nu::wire::kOneWay;
  h.proclet_id = proclet;
  h.aux = weight;
  nu::wire::finish_frame(frame, h);
  ASSERT_FALSE(peer.conn->send(std::move(frame)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// A forged Release of more weight than is out, or of none, is refused:
// the proclet stays, and its own handle still ends its life. (Without a
// secret a peer may release what is out: see SecretCluster below.)
TEST_F(Wire, AReleaseOfMoreWeightThanIsOutChangesNothing) {
  {
    auto c = nu::make_proclet<Counter>(3);
    for (std::uint64_t weight :
         {(std::uint64_t{1} << 40) + 1, ~std::uint64_t{0}, std::uint64_t{0}})
      release(cluster_, c.id(), weight);
    EXPECT_EQ(c.Run(&Counter::Get), 3);
    EXPECT_EQ(cluster_.b().proclet_count(), 1u);
  }
  EXPECT_TRUE(eventually([&] { return cluster_.b().proclet_count() == 0; }))
      << "the handle's own release still destroys it";
}

/// A Move of \p proclet to node \p to from a peer of \p role; its reply.
/// (\p aux kMoveList: a listing.)
nu::wire::FrameKind move_from(Cluster &cluster,
                              std::shared_ptr<const nu::net::Secret> secret,
                              nu::net::PeerRole role, nu::ProcletId proclet,
                              nu::NodeId to, std::uint64_t aux = 0) {
  RawPeer peer(cluster, cluster.b(), std::move(secret), role);
  nu::wire::FrameHeader h;
  h.kind = nu::wire::FrameKind::Move;
  h.request_id = 14;
  h.proclet_id = proclet;
  h.target = to;
  h.aux = aux;
  nu::detail::Bytes bytes;
  return reply_to(peer, h, {}, bytes).header.kind;
}

// With a cluster secret, nodes call each other over authenticated links; a
// node's connection may relay a move but not order one; a tool's may, and
// it may do nothing else: it holds no handle, so it releases no weight (a
// release of 2^40, all a new proclet's weight, once destroyed it), and it
// is no node that could leave (GoAway).
TEST(SecretCluster, ToolsMoveNodesCallAndRelease) {
  auto secret =
      std::make_shared<const nu::net::Secret>("the test cluster's own secret");
  Cluster cluster(true, std::chrono::seconds(30), secret);
  nu::detail::NodeScope scope(&cluster.a());
  auto c = nu::make_proclet<Counter>(3);
  ASSERT_EQ(c.Run(&Counter::Where), 2u);
  EXPECT_EQ(move_from(cluster, secret, nu::net::PeerRole::node, c.id(), 1),
            nu::wire::FrameKind::Error);
  EXPECT_EQ(c.Run(&Counter::Where), 2u) << "it did not move";
  // A node may list what another holds (nu::backup_locations).
  EXPECT_EQ(move_from(cluster, secret, nu::net::PeerRole::node, 0, 0,
                      nu::wire::kMoveList),
            nu::wire::FrameKind::Result);
  EXPECT_EQ(move_from(cluster, secret, nu::net::PeerRole::tool, c.id(), 1),
            nu::wire::FrameKind::Result);
  EXPECT_EQ(c.Run(&Counter::Where), 1u);
  auto d = nu::make_proclet<Counter>(4);
  release(cluster, d.id(), std::uint64_t{1} << 40, secret,
          nu::net::PeerRole::tool);
  EXPECT_EQ(d.Run(&Counter::Get), 4);
  EXPECT_EQ(c.Run(&Counter::Get), 3);
  // Only a node leaves: a tool's GoAway is refused.
  EXPECT_EQ(go_away_from(cluster, secret, nu::net::PeerRole::tool),
            nu::wire::FrameKind::Error);
  EXPECT_EQ(go_away_from(cluster, secret, nu::net::PeerRole::node),
            nu::wire::FrameKind::Result);
}

} // namespace
} // namespace nutest
