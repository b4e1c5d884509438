// nu-kvstore's own command-line flags (--port, --host, --shards, the
// client limits, --help), read the same way by the main node and by every
// server node.
#pragma once

#include "Limits.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace kv {

/// The most backups a shard may have: nu::kMaxReplicas (main.cpp checks;
/// this library does not depend on the runtime).
inline constexpr unsigned kMaxReplicas = 3;

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;         ///< 0: the kernel picks one
  bool port_given = false; ///< a server node serves clients only if so
  std::size_t shards = 64;
  unsigned replicas = 0; ///< backups per shard (nu::ProcletOptions)
  Limits limits; ///< --max-clients, --max-query-buffer, --partial-timeout-ms
  std::string requirepass; ///< "": clients need no AUTH
  bool cluster = false;    ///< --cluster: Redis Cluster's protocol
  bool help = false;
};

/// Parses \p args (argv, argv[0] first). `--nu-...` flags are skipped
/// (with the value that follows unless given as `--nu-x=V`, or for
/// --nu-help). On a bad flag, returns nothing and sets \p error.
std::optional<Options> parse_options(const std::vector<std::string> &args,
                                     std::string &error);

/// The text of --help.
std::string usage(const std::string &program);

} // namespace kv
