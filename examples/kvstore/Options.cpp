// Parsing nu-kvstore's flags: `--name value` or `--name=value`, checked
// ranges and sizes, one clear message for the first bad one.
#include "Options.hpp"

#include "Numbers.hpp"
#include "Slots.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>

namespace kv {
namespace {

/// Sets \p out from \p value in [min, max]; an error message otherwise.
std::string parse_number(std::string_view name, std::string_view value,
                         std::int64_t min, std::int64_t max,
                         std::int64_t &out) {
  auto n = parse_int64(value);
  if (!n || *n < min || *n > max)
    return std::string(name) + " expects an integer in [" +
           std::to_string(min) + ", " + std::to_string(max) + "], got '" +
           std::string(value) + "'";
  out = *n;
  return {};
}

constexpr std::string_view kFlags[] = {"--port",
                                       "--host",
                                       "--shards",
                                       "--replicas",
                                       "--max-clients",
                                       "--max-query-buffer",
                                       "--partial-timeout-ms",
                                       "--requirepass"};

/// Sets \p out from \p value, a size as Redis reads it ("64mb"), in
/// [1mb, 1024gb]; an error message otherwise.
std::string parse_size(std::string_view name, std::string_view value,
                       std::size_t &out) {
  auto n = parse_memory(value);
  if (!n || *n < (1u << 20) || *n > (std::uint64_t{1} << 40))
    return std::string(name) +
           " expects a size in [1mb, 1024gb] (bytes, or with k, kb, m, mb, "
           "g or gb), got '" +
           std::string(value) + "'";
  out = static_cast<std::size_t>(*n);
  return {};
}

/// Applies one of the client limits' flags; an error message if it is bad.
std::string apply_limit(Limits &l, std::string_view name,
                        std::string_view value) {
  std::int64_t n = 0;
  std::string error;
  if (name == "--max-clients") {
    error = parse_number(name, value, 1, 1'000'000, n);
    l.max_clients = static_cast<std::size_t>(n);
  } else if (name == "--partial-timeout-ms") {
    error = parse_number(name, value, 0, 86'400'000, n);
    l.partial_timeout = std::chrono::milliseconds(n);
  } else {
    error = parse_size(name, value, l.max_query_buffer);
  }
  return error;
}

/// Applies one flag with its value; an error message if it is bad.
std::string apply(Options &o, std::string_view name, std::string_view value) {
  std::int64_t n = 0;
  std::string error;
  if (name == "--port") {
    error = parse_number(name, value, 0, 65535, n);
    o.port = static_cast<int>(n);
    o.port_given = true;
  } else if (name == "--shards") {
    error = parse_number(name, value, 1, 65536, n);
    o.shards = static_cast<std::size_t>(n);
  } else if (name == "--replicas") {
    error = parse_number(name, value, 0, kMaxReplicas, n);
    o.replicas = static_cast<unsigned>(n);
  } else if (name == "--requirepass") {
    o.requirepass = std::string(value);
  } else if (name != "--host") {
    error = apply_limit(o.limits, name, value);
  } else if (value.empty()) {
    error = "--host expects a host name or address";
  } else {
    o.host = std::string(value);
  }
  return error;
}

} // namespace

std::optional<Options> parse_options(const std::vector<std::string> &args,
                                     std::string &error) {
  Options o;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg.starts_with("--nu-")) {
      if (arg.find('=') == std::string_view::npos && arg != "--nu-help")
        ++i;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg == "--cluster") {
      o.cluster = true;
      continue;
    }
    std::string_view name = arg.substr(0, arg.find('='));
    if (std::find(std::begin(kFlags), std::end(kFlags), name) ==
        std::end(kFlags)) {
      error = "unknown argument '" + std::string(arg) + "' (see --help)";
      return std::nullopt;
    }
    std::string_view value;
    if (name.size() < arg.size()) {
      value = arg.substr(name.size() + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error = std::string(name) + " needs a value";
      return std::nullopt;
    }
    error = apply(o, name, value);
    if (!error.empty())
      return std::nullopt;
  }
  if (o.cluster && o.shards > kSlots) {
    error = "--cluster allows at most 16384 shards (one slot each at least)";
    return std::nullopt;
  }
  return o;
}

std::string usage(const std::string &program) {
  return "usage: " + program +
         " [--port P] [--host H] [--shards N] [--replicas N]\n"
         "       [--cluster] [client limits]\n"
         "       [--requirepass PASSWORD]\n"
         "       [--nu-... runtime flags]\n"
         "A Redis-compatible (RESP2) key-value server whose keys live in a\n"
         "nu::ShardedMap spread over the nodes of the logical process.\n"
         "  --port P    serve clients on port P (default 6379; 0: any free\n"
         "              port). A server node (--nu-join) serves clients only\n"
         "              when given --port.\n"
         "  --host H    listen on address H (default 127.0.0.1)\n"
         "  --shards N  shards of the map, 1..65536 (default 64; main node)\n"
         "  --replicas N  backups of each shard on other nodes, 0..3\n"
         "              (default 0; main node): a write is acknowledged once\n"
         "              they have it, and a node's death loses none; such\n"
         "              shards do not migrate\n"
         "  --max-clients N  clients served at once, 1..1000000 (default\n"
         "              10000); one more gets an error and is disconnected\n"
         "  --max-query-buffer SIZE  bytes of an incomplete request a client\n"
         "              may send (default 64mb; 1mb..1024gb); over it the\n"
         "              client is disconnected\n"
         "  --partial-timeout-ms MS  disconnect a client that sent part of\n"
         "              a request, then nothing for MS ms (default 30000;\n"
         "              0: never)\n"
         "  --cluster   speak Redis Cluster's protocol (give it to every "
         "node):\n"
         "              keys map to 16384 slots, each shard holds a range of\n"
         "              them; a request for a key whose shard is on another\n"
         "              node gets -MOVED to that node, keys of different\n"
         "              slots in one request -CROSSSLOT; CLUSTER SLOTS,\n"
         "              SHARDS and NODES list where every slot is now. Every\n"
         "              node then serves clients (server nodes need --port)\n"
         "  --requirepass PASSWORD  clients must AUTH with it first (as\n"
         "              Redis's requirepass; CONFIG SET requirepass changes "
         "it)\n"
         "  --help      this text; --nu-help lists the runtime's flags\n";
}

} // namespace kv
