// The runtime's command-line flags: every `--nu-...` argument is parsed
// here and removed; everything else is left to the application.
#pragma once

#include "nu/detail/expected.hpp"

#include <chrono>
#include <string>

namespace nu::detail {

enum class LogLevel { error, warn, info };

struct RuntimeFlags {
  unsigned workers = 0;
  std::chrono::milliseconds call_timeout{30000};
  bool help = false;
  std::string join;       ///< serve as a node of the controller at HOST:PORT
  std::string controller; ///< run main's function, with this controller
  std::string listen;     ///< this node's own address ("": loopback, any port)
  std::string transport = "tcp";
  std::chrono::milliseconds migrate_drain{1000};
  LogLevel log_level = LogLevel::warn;
};

/// Parses and removes the `--nu-` flags of argv (taking `--nu-x V` and
/// `--nu-x=V`); argc is updated. Unknown `--nu-` flags are an error that
/// lists the valid ones.
Expected<RuntimeFlags> parse_flags(int &argc, char **argv);
/// One line per flag, with its default, for --nu-help.
std::string flags_help();

} // namespace nu::detail
