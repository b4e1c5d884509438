// A migrating proclet's state on the wire: sent in chunks with a window of
// acknowledgements, assembled and activated at the destination.
#include "Node.hpp"

#include "Replies.hpp"
#include "migrate/Transfer.hpp"
#include "nu/errors.hpp"
#include "nu/log/log.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <thread>

namespace nu::detail {
namespace {

constexpr std::size_t kChunk = kMigrationChunk;
constexpr std::size_t kWindow = kMigrationWindow;

} // namespace

std::size_t state_prefix() {
  static const std::size_t size = [] {
    Bytes info;
    encode(info, SerialContext{}, ChunkInfo{});
    return wire::kHeaderSize + info.size();
  }();
  return size;
}

/// The proclet's saved state, straight into the frames that will carry it.
/// Each is reserved to a whole chunk, so that none grows by copying (the
/// estimated size leaves out what fields own, such as a map's strings); the
/// allocator maps the pages of a reservation only once they are written.
SavedState Node::save_state(const Slot &slot) {
  std::uint64_t expected = std::max<std::uint64_t>(
      slot.type->estimate_size(slot.object), HeapPool::bytes(slot.heap));
  HeapScope heap(expected <= HeapPool::kKeptFrames ? HeapPool::frames_flags()
                                                   : 0);
  SavedState state;
  OutArchive ar = state.archive(SerialContext{this});
  slot.type->save(ar, slot.object);
  return state;
}

/// Sends \p state (from save_state) to \p to and returns once the proclet
/// is active there (or, as a backup's \p copy, kept there); throws if it is
/// not. Each frame leaves as it was saved, its ChunkInfo written into its
/// room; at most kWindow are unacknowledged at once.
void Node::send_state(const Slot &slot, NodeId to, SavedState state,
                      bool copy) {
  ChunkInfo info{
      id(),          endpoint_->new_request_id(),        0,
      state.bytes(), slot.epoch.load() + (copy ? 0 : 1), slot.weight.load(),
      slot.pinned};
  if (slot.replicas) { // carried after the state (ReplicaCarry)
    info.replica = copy;
    info.seq = slot.replicas->seq;
    info.replicas = slot.replicas->wanted;
  }
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Migrate;
  header.proclet_id = slot.id;
  header.target = slot.type->id;
  std::deque<std::shared_ptr<TypedState<void>>> window;
  struct Sent { // once every frame was sent and freed (or the send failed)
    std::uint64_t bytes;
    ~Sent() { HeapPool::frames_sent(bytes); }
  } sent{info.total};
  const auto start = std::chrono::steady_clock::now();
  for (Bytes &frame : state.frames) {
    Bytes encoded;
    encode(encoded, SerialContext{}, info);
    std::memcpy(frame.data() + wire::kHeaderSize, encoded.data(),
                encoded.size());
    info.offset += frame.size() - state_prefix();
    auto ack = std::make_shared<TypedState<void>>();
    request_rpc(to, header, std::move(frame), ack);
    window.push_back(std::move(ack));
    if (!copy && options_.migrate_throttle != 0) // the baseline's pace
      std::this_thread::sleep_until(
          start + std::chrono::nanoseconds(static_cast<std::int64_t>(
                      1e9 * static_cast<double>(info.offset) /
                      static_cast<double>(options_.migrate_throttle))));
    if (window.size() == kWindow) {
      window.front()->take(); // throws what went wrong
      window.pop_front();
    }
  }
  for (; !window.empty(); window.pop_front())
    window.front()->take();
}

/// One chunk of a state; the chunk that completes it activates the proclet
/// before it is acknowledged.
void Node::serve_migrate(Bytes frame, const wire::FrameView &f,
                         const Reply &reply) {
  const wire::FrameHeader &h = f.header;
  try {
    ChunkInfo info;
    InArchive in(f.payload, SerialContext{});
    in(info);
    auto bytes = f.payload.subspan(f.payload.size() - in.remaining());
    const ProcletType *type = TypeRegistry::instance().find(h.target);
    if (!type || !chunk_fits(info, bytes.size()))
      throw DecodeError("bad migration chunk");
    if (departing_ && info.offset == 0)
      throw Error("nu: node " + std::to_string(id()) +
                  " is leaving: it takes no proclets");
    if (bytes.size() == info.total) { // the whole state in one chunk
      settle(h.proclet_id, *type, {&bytes, 1}, info);
      return reply(
          reply_frame(h, wire::FrameKind::Result, wire::start_frame()));
    }
    std::shared_ptr<Incoming> incoming =
        incoming_.add(info, bytes, std::move(frame));
    if (incoming)
      settle(h.proclet_id, *type, incoming->parts(), info);
    reply(reply_frame(h, wire::FrameKind::Result, wire::start_frame()));
  } catch (...) {
    reply(error_reply(h));
  }
}

Incoming::Added Incoming::add(const ChunkInfo &info,
                              std::span<const std::byte> bytes, Bytes frame) {
  std::scoped_lock lock(mu_);
  const std::uint64_t end = info.offset + bytes.size(); // <= total: checked
  std::size_t index = info.offset / kChunk;
  if (info.total != total_ || info.offset % kChunk != 0 ||
      bytes.size() != std::min<std::uint64_t>(kChunk, total_ - info.offset) ||
      end > received_ + kWindow * kChunk ||
      (index < parts_.size() && !parts_[index].empty()))
    return Added::refused;
  if (index >= parts_.size()) {
    parts_.resize(index + 1);
    frames_.resize(index + 1);
  }
  parts_[index] = bytes;
  frames_[index] = std::move(frame); // its buffer, and so bytes, stay put
  received_ += bytes.size();
  return received_ == total_ ? Added::completed : Added::partly;
}

bool chunk_fits(const ChunkInfo &info, std::uint64_t size) {
  return info.offset <= info.total && size <= info.total - info.offset &&
         info.weight != 0 && info.replicas <= kMaxReplicas;
}

std::shared_ptr<Incoming>
IncomingTransfers::add(const ChunkInfo &info, std::span<const std::byte> bytes,
                       Bytes frame) {
  Key key{info.from, info.transfer};
  std::shared_ptr<Incoming> incoming;
  {
    std::scoped_lock lock(mu_);
    auto &entry = transfers_[key];
    if (!entry)
      entry = std::make_shared<Incoming>(info.total);
    incoming = entry;
  }
  Incoming::Added added = incoming->add(info, bytes, std::move(frame));
  if (added == Incoming::Added::partly)
    return nullptr;
  std::scoped_lock lock(mu_);
  transfers_.erase(key);
  if (added == Incoming::Added::refused)
    throw DecodeError("a migration chunk that disagrees with its transfer");
  return incoming;
}

std::uint64_t IncomingTransfers::buffered() {
  std::scoped_lock lock(mu_);
  std::uint64_t bytes = 0;
  for (auto &[key, incoming] : transfers_)
    bytes += incoming->buffered();
  return bytes;
}

void IncomingTransfers::drop_from(NodeId peer) {
  std::scoped_lock lock(mu_);
  std::erase_if(transfers_, [peer](const auto &entry) {
    return entry.first.first == peer;
  });
}

namespace {

/// States from this size up load into a heap of huge pages.
constexpr std::size_t kHugeState = std::size_t{2} << 20;

std::size_t state_bytes(StateParts parts) {
  std::size_t bytes = 0;
  for (auto part : parts)
    bytes += part.size();
  return bytes;
}

} // namespace

/// A whole state arrived (in \p parts): a migrated proclet, or a backup's
/// copy.
void Node::settle(ProcletId id, const ProcletType &type, StateParts parts,
                  const ChunkInfo &info) {
  if (info.replica)
    return keep_copy(id, type, parts, info);
  activate(id, type, parts, info);
}

/// A proclet built from its saved state.
void *Node::load_object(const ProcletType &type, StateParts parts,
                        ReplicaCarry *carry, unsigned heap) {
  HeapScope scope(HeapPool::flags(heap));
  void *object = type.construct_for_load();
  try {
    Decoder in(parts, SerialContext{this});
    type.load(in.archive(), object);
    if (carry) // a replicated proclet's
      in(*carry);
    in.finish();
  } catch (...) {
    type.destroy(object);
    throw;
  }
  return object;
}

/// Builds the proclet from its state and makes it reachable here.
void Node::activate(ProcletId id, const ProcletType &type, StateParts parts,
                    const ChunkInfo &info) {
  std::shared_ptr<Slot> slot;
  const auto start = std::chrono::steady_clock::now();
  const long faults = thread_faults();
  if (info.replicas == 0) {
    unsigned heap = heaps_.acquire(state_bytes(parts) >= kHugeState);
    void *object = nullptr;
    try {
      object = load_object(type, parts, nullptr, heap);
    } catch (...) {
      heaps_.release(heap);
      throw;
    }
    slot = host_slot(type, object, info.pinned, info.weight, id, info.epoch, {},
                     heap);
  } else {
    ReplicaCarry carry;
    void *object = load_object(type, parts, &carry);
    slot = host_moved(id, type, object, info, std::move(carry));
  }
  log::get("migrate").debug(
      "proclet {} loaded from node {}: {} bytes in {} us ({} page faults)", id,
      info.from, info.total,
      us(std::chrono::steady_clock::now() - start).count(),
      thread_faults() - faults);
  // Under proxies_mu_, as a commit unlinks: if the proclet already moved on
  // (the slot left slots_), no handle may point to its slot any more.
  std::scoped_lock lock(proxies_mu_);
  if (find_slot(id) != slot)
    return;
  if (auto it = proxies_.find(id); it != proxies_.end()) {
    it->second->location.store(this->id(), std::memory_order_relaxed);
    if (!slot->replicas) // calls to a replicated one are always requests
      it->second->local.store(slot.get(), std::memory_order_release);
  }
}

} // namespace nu::detail
