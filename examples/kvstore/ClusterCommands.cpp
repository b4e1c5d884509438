// Redis Cluster's commands for cluster clients: CLUSTER SLOTS, SHARDS,
// NODES, INFO, MYID, KEYSLOT, COUNTKEYSINSLOT; READONLY, READWRITE, ASKING.
#include "Cluster.hpp"
#include "Commands.hpp"
#include "Numbers.hpp"
#include "Slots.hpp"
#include "Updates.hpp"

#include <nu/runtime.hpp>

#include <set>

namespace kv {
namespace {

nu::NodeId self() { return nu::this_node(); }

void node_entry(RespWriter &out, const ClusterNode &n) {
  out.array(4);
  out.bulk(n.host);
  out.integer(n.port);
  out.bulk(node_name(n.id));
  out.array(0); // no hostname metadata
}

/// Each range: first, last, the primary, then the nodes with backups.
void slots(Call &c) {
  auto ranges = slot_ranges(c.store(), self(), &c.info().backups);
  c.out.array(ranges.size());
  for (const SlotRange &r : ranges) {
    c.out.array(3 + r.replicas.size());
    c.out.integer(static_cast<std::int64_t>(r.first));
    c.out.integer(static_cast<std::int64_t>(r.last));
    node_entry(c.out, r.node);
    for (const ClusterNode &replica : r.replicas)
      node_entry(c.out, replica);
  }
}

void shard_node(RespWriter &out, const ClusterNode &n, const char *role) {
  out.array(14);
  for (auto [name, value] :
       {std::pair<const char *, std::string>{"id", node_name(n.id)},
        {"ip", n.host},
        {"endpoint", n.host},
        {"role", role},
        {"health", "online"}}) {
    out.bulk(name);
    out.bulk(value);
  }
  out.bulk("port");
  out.integer(n.port);
  out.bulk("replication-offset");
  out.integer(0);
}

/// A Redis shard is a slot range with its primary and replicas.
void shards(Call &c) {
  auto ranges = slot_ranges(c.store(), self(), &c.info().backups);
  c.out.array(ranges.size());
  for (const SlotRange &r : ranges) {
    c.out.array(4);
    c.out.bulk("slots");
    c.out.array(2);
    c.out.integer(static_cast<std::int64_t>(r.first));
    c.out.integer(static_cast<std::int64_t>(r.last));
    c.out.bulk("nodes");
    c.out.array(1 + r.replicas.size());
    shard_node(c.out, r.node, "master");
    for (const ClusterNode &replica : r.replicas)
      shard_node(c.out, replica, "replica");
  }
}

/// One line per node: id ip:port@cport flags master ping pong epoch link
/// slots..., as CLUSTER NODES writes them (the bus port is never used).
void nodes(Call &c) {
  auto ranges = slot_ranges(c.store(), self());
  std::string text;
  for (const ClusterNode &n : cluster_nodes(self())) {
    text += node_name(n.id) + " " + n.host + ":" + std::to_string(n.port) +
            "@" + std::to_string(n.port + 10000) + " " +
            (n.id == self() ? "myself,master" : "master") + " - 0 0 " +
            std::to_string(n.id) + " connected";
    for (const SlotRange &r : ranges)
      if (r.node.id == n.id)
        text += " " + std::to_string(r.first) +
                (r.last == r.first ? "" : "-" + std::to_string(r.last));
    text += "\n";
  }
  c.out.bulk(text);
}

void info(Call &c) {
  auto ranges = slot_ranges(c.store(), self());
  std::set<nu::NodeId> serving;
  for (const SlotRange &r : ranges)
    serving.insert(r.node.id);
  std::string text = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\n"
                     "cluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\n"
                     "cluster_slots_fail:0\r\ncluster_known_nodes:" +
                     std::to_string(cluster_nodes(self()).size()) +
                     "\r\ncluster_size:" + std::to_string(serving.size()) +
                     "\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n"
                     "cluster_stats_messages_sent:0\r\n"
                     "cluster_stats_messages_received:0\r\n";
  c.out.bulk(text);
}

/// Visits one pair (MapShard::Visit), counting it if live and in the slot.
struct CountInSlot {
  void operator()(const std::string &key, const Entry &e, std::int64_t &count,
                  std::size_t slot, std::int64_t now) const {
    count += !expired(e, now) && key_slot(key) == slot;
  }
};

void count_keys_in_slot(Call &c) {
  auto slot = parse_int64(c.args[2]);
  if (!slot || *slot < 0 || *slot >= static_cast<std::int64_t>(kSlots))
    return c.out.error("ERR Invalid slot");
  auto index = static_cast<std::size_t>(*slot);
  c.out.integer(
      c.store().shards()[slot_shard(index, c.store().shard_count())].Run(
          [](Store::Shard &s, std::size_t in, std::int64_t now) {
            std::int64_t count = 0;
            s.Visit<CountInSlot>(count, in, now);
            return count;
          },
          index, now_ms()));
}

/// CLUSTER <subcommand> [args]: \p arity counts CLUSTER and the name.
struct Subcommand {
  std::string_view name;
  std::size_t arity;
  void (*run)(Call &);
};

void cluster(Call &c) {
  if (!c.info().cluster)
    return c.out.error("ERR This instance has cluster support disabled");
  static const Subcommand subcommands[] = {
      {"slots", 2, slots},
      {"shards", 2, shards},
      {"nodes", 2, nodes},
      {"info", 2, info},
      {"myid", 2, [](Call &c) { c.out.bulk(node_name(self())); }},
      {"keyslot", 3,
       [](Call &c) {
         c.out.integer(static_cast<std::int64_t>(key_slot(c.args[2])));
       }},
      {"countkeysinslot", 3, count_keys_in_slot},
  };
  std::string name = lower(c.args[1]);
  for (const Subcommand &s : subcommands) {
    if (s.name != name)
      continue;
    if (c.args.size() != s.arity)
      return reply_arity(c.out, "cluster|" + name);
    return s.run(c);
  }
  c.out.error("ERR unknown subcommand '" + std::string(c.args[1]) +
              "'. Try CLUSTER HELP.");
}

/// READONLY, READWRITE and ASKING change nothing here: replicas serve no
/// reads, and a slot is never half moved (a move pauses it instead).
void accepted(Call &c) {
  if (!c.info().cluster)
    return c.out.error("ERR This instance has cluster support disabled");
  c.out.simple("OK");
}

} // namespace

const std::vector<CommandSpec> &cluster_commands() {
  static const std::vector<CommandSpec> commands = {
      {"cluster", -2, cluster},
      {"readonly", 1, accepted},
      {"readwrite", 1, accepted},
      {"asking", 1, accepted},
  };
  return commands;
}

} // namespace kv
