// The runtime's command-line flags: every `--nu-...` argument is parsed
// here and removed; everything else is left to the application.
#pragma once

#include "nu/detail/expected.hpp"
#include "nu/log/log.hpp"
#include "nu/net/tls.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace nu::detail {

struct RuntimeFlags {
  unsigned workers = 0;
  std::chrono::milliseconds call_timeout{30000};
  bool help = false;
  std::string join;       ///< serve as a node of the controller at HOST:PORT
  std::string controller; ///< run main's function, with this controller
  std::string listen;     ///< this node's own address ("": loopback, any port)
  std::string transport = "tcp";
  std::string secret_file; ///< "": the file NU_SECRET_FILE names, if any
  bool insecure = false;   ///< may listen beyond loopback without a secret
  net::TlsFiles tls;       ///< all empty: plain TCP
  std::chrono::milliseconds migrate_drain{1000};
  /// A server node stopped by SIGINT or SIGTERM moves its proclets away for
  /// at most this long before it leaves (0: it leaves at once).
  std::chrono::milliseconds stop_drain{60000};
  // The slow-migration baseline (for comparison only): 0 is off.
  std::uint64_t migrate_throttle_mbps = 0;
  std::chrono::milliseconds migrate_delay{0};
  std::size_t proclet_heaps = 256;
  log::Level log_level = log::Level::warn;
  // The migration policy (migrate/Monitor.hpp) and the chaos trigger.
  std::chrono::milliseconds monitor{100};     ///< 0: no policy
  std::uint64_t mem_limit = 0;                ///< bytes; 0: none
  std::uint64_t min_free = 64ull << 20;       ///< bytes; 0: not watched
  double cpu_high = 0;                        ///< fraction; 0: not watched
  std::chrono::milliseconds chaos_migrate{0}; ///< 0: off
};

/// Parses and removes the `--nu-` flags of argv (taking `--nu-x V` and
/// `--nu-x=V`); argc is updated. Unknown `--nu-` flags are an error that
/// lists the valid ones.
Expected<RuntimeFlags> parse_flags(int &argc, char **argv);
/// One line per flag, with its default, for --nu-help.
std::string flags_help();

} // namespace nu::detail
