// The cluster client of the load generator: slot table, connections per
// node and MOVED handling, as redis-cli -c and redis-py's RedisCluster do.
#include "Router.hpp"

#include "Slots.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>
#include <string>

namespace kvload {
namespace {

// The slot of "MOVED <slot> <host>:<port>", whose slot ends at Space;
// kv::kSlots if there is no slot number there.
std::size_t movedSlot(std::string_view Text, std::size_t Space) {
  std::size_t Slot = kv::kSlots;
  if (Space == std::string_view::npos)
    return Slot;
  auto [End, Err] = std::from_chars(Text.data() + 6, Text.data() + Space, Slot);
  return Err == std::errc() && End == Text.data() + Space ? Slot : kv::kSlots;
}

} // namespace

Router::Router(const std::vector<Address> &Seeds, int Timeout)
    : TimeoutMs(Timeout), Owner(kv::kSlots, 0) {
  std::string Why;
  for (const Address &Seed : Seeds) {
    try {
      readSlots(open(Nodes[nodeFor(Seed)].Conn, Seed));
      return;
    } catch (const std::exception &E) {
      Why = E.what();
    }
  }
  throw std::runtime_error("no server gave its cluster slots: " + Why);
}

std::size_t Router::nodeFor(const Address &At) {
  for (std::size_t I = 0; I < Nodes.size(); ++I)
    if (Nodes[I].At.Host == At.Host && Nodes[I].At.Port == At.Port)
      return I;
  Nodes.push_back({At, nullptr, nullptr});
  return Nodes.size() - 1;
}

Connection &Router::open(std::unique_ptr<Connection> &Conn, const Address &At) {
  if (!Conn) {
    auto Fresh = std::make_unique<Connection>();
    Fresh->open(At, TimeoutMs);
    Conn = std::move(Fresh);
  }
  return *Conn;
}

/// CLUSTER SLOTS: [[first, last, [host, port, ...], ...], ...].
void Router::readSlots(Connection &Conn) {
  Reply R = Conn.call({"CLUSTER", "SLOTS"});
  for (const Reply &Range : R.Elements) {
    if (Range.Elements.size() < 3 || Range.Elements[2].Elements.size() < 2)
      throw std::runtime_error("a malformed CLUSTER SLOTS reply");
    const long long First = Range.Elements[0].Integer,
                    Last = Range.Elements[1].Integer;
    const auto &Primary = Range.Elements[2].Elements;
    if (First < 0 || Last < First ||
        Last >= static_cast<long long>(kv::kSlots) || Primary[1].Integer <= 0 ||
        Primary[1].Integer > 65535)
      throw std::runtime_error("a malformed CLUSTER SLOTS reply: slots " +
                               std::to_string(First) + ".." +
                               std::to_string(Last) + " at port " +
                               std::to_string(Primary[1].Integer));
    std::size_t Node =
        nodeFor({Primary[0].Text, static_cast<int>(Primary[1].Integer)});
    for (long long S = First; S <= Last; ++S)
      Owner[static_cast<std::size_t>(S)] = static_cast<std::uint16_t>(Node);
  }
}

void Router::shutdown() {
  for (Node &N : Nodes)
    for (auto *Conn : {N.Conn.get(), N.Side.get()})
      if (Conn)
        Conn->shutdown();
}

Connection &Router::forKey(std::string_view Key) {
  Node &N = Nodes[Owner[kv::key_slot(Key)]];
  return open(N.Conn, N.At);
}

void Router::finish(Connection &Conn, std::string_view Command, Reply &Out) {
  Conn.read(Out);
  for (int Hops = 0; Out.Type == '-' && Out.Text.starts_with("MOVED ");
       ++Hops) {
    if (Hops == 16)
      throw std::runtime_error("16 MOVED redirects in a row: " + Out.Text);
    // "MOVED <slot> <host>:<port>"
    const std::string_view Text = Out.Text;
    const std::size_t Space = Text.find(' ', 6);
    const std::size_t Slot = movedSlot(Text, Space);
    if (Slot >= kv::kSlots)
      throw std::runtime_error("a malformed redirect: " + Out.Text);
    Address To = parseAddress(Text.substr(Space + 1));
    std::size_t Index = nodeFor(To);
    Owner[Slot] = static_cast<std::uint16_t>(Index);
    ++Redirects;
    Connection &Side = open(Nodes[Index].Side, To);
    // The rest of the moved shard's slots moved too: read the whole table
    // again, at most every 100 ms (as redis-benchmark does).
    if (auto Now = std::chrono::steady_clock::now(); Now >= NextRead) {
      readSlots(Side);
      NextRead = Now + std::chrono::milliseconds(100);
    }
    Side.write(Command);
    Side.read(Out);
  }
}

} // namespace kvload
