// Building INFO's reply: "# Section" headers and "name:value" lines
// separated by CRLF, the way Redis writes them.
#include "Info.hpp"
#include "Keyspace.hpp"

#include <nu/runtime.hpp>

#include <unistd.h>

namespace kv {
namespace {

using Lines = std::vector<std::pair<std::string, std::string>>;

Lines server(Call &c) {
  std::int64_t uptime = (now_ms() - c.info().started_ms) / 1000;
  return {{"redis_version", "7.0.0"},
          {"redis_mode", c.info().cluster ? "cluster" : "standalone"},
          {"os", "Linux"},
          {"arch_bits", "64"},
          {"process_id", std::to_string(getpid())},
          {"tcp_port", std::to_string(c.info().port)},
          {"uptime_in_seconds", std::to_string(uptime)},
          {"executable", "nu-kvstore"}};
}

Lines clients(Call &c) {
  return {{"connected_clients", std::to_string(c.info().clients.load())},
          {"maxclients", std::to_string(c.info().max_clients)},
          {"nu_threaded_clients", std::to_string(c.info().threaded_clients)}};
}

Lines memory(Call &) {
  nu::NodeStats s = nu::node_stats();
  return {{"used_memory", std::to_string(s.rss)},
          {"used_memory_rss", std::to_string(s.rss)},
          {"maxmemory", std::to_string(s.mem_limit)}};
}

Lines nu_node(Call &c) {
  nu::NodeStats s = nu::node_stats();
  return {{"nu_node", std::to_string(s.node)},
          {"nu_nodes", std::to_string(nu::nodes().size())},
          {"nu_shards", std::to_string(c.store().shard_count())},
          {"nu_proclets_here", std::to_string(s.proclets)},
          {"nu_migrations", std::to_string(s.migrations)},
          {"nu_migrated_bytes", std::to_string(s.migrated_bytes)},
          {"nu_proclet_heaps", std::to_string(s.proclet_heaps)},
          {"nu_proclet_heap_bytes", std::to_string(s.heap_bytes)},
          {"nu_rss", std::to_string(s.rss)},
          {"nu_mem_limit", std::to_string(s.mem_limit)}};
}

Lines cluster(Call &c) {
  return {{"cluster_enabled", c.info().cluster ? "1" : "0"},
          {"nu_moved_redirects", std::to_string(c.info().redirects.load())}};
}

Lines keyspace(Call &c) {
  KeyCounts n = count_keys(c.store(), now_ms());
  if (n.keys == 0)
    return {};
  return {{"db0", "keys=" + std::to_string(n.keys) +
                      ",expires=" + std::to_string(n.expires) + ",avg_ttl=0"}};
}

struct Section {
  const char *name;
  const char *title;
  Lines (*lines)(Call &);
};

constexpr Section kSections[] = {
    {"server", "Server", server},    {"clients", "Clients", clients},
    {"memory", "Memory", memory},    {"nu", "nu", nu_node},
    {"cluster", "Cluster", cluster}, {"keyspace", "Keyspace", keyspace}};

} // namespace

std::string info_text(Call &c, const std::string &section) {
  bool every =
      section == "default" || section == "all" || section == "everything";
  std::string text;
  for (const Section &s : kSections) {
    if (!every && section != s.name)
      continue;
    if (!text.empty())
      text += "\r\n";
    text += std::string("# ") + s.title + "\r\n";
    for (const auto &[name, value] : s.lines(c))
      text += name + ":" + value + "\r\n";
  }
  return text;
}

} // namespace kv
