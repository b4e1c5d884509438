// Parsing `--nu-...` flags from an explicit table of {name, help, setter}.
#include "Flags.hpp"

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace nu::detail {
namespace {

using Setter = std::optional<std::string> (*)(RuntimeFlags &,
                                              std::string_view value);

struct FlagSpec {
  std::string_view name;
  std::string_view help;
  Setter set;
  bool takes_value = true;
};

template <class Int>
std::optional<std::string> parse_int(std::string_view value, Int &out, Int min,
                                     Int max) {
  Int v{};
  auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < min ||
      v > max)
    return "expects an integer in [" + std::to_string(min) + ", " +
           std::to_string(max) + "], got '" + std::string(value) + "'";
  out = v;
  return std::nullopt;
}

/// HOST:PORT with a numeric port.
std::optional<std::string> parse_address(std::string_view value,
                                         std::string &out) {
  auto colon = value.rfind(':');
  unsigned port = 0;
  if (colon == std::string_view::npos || colon == 0 ||
      parse_int<unsigned>(value.substr(colon + 1), port, 0, 65535))
    return "expects HOST:PORT, got '" + std::string(value) + "'";
  out = std::string(value);
  return std::nullopt;
}

/// A file's path (not checked here: its reader says what is wrong).
std::optional<std::string> parse_file(std::string_view value,
                                      std::string &out) {
  if (value.empty())
    return "needs a file";
  out = std::string(value);
  return std::nullopt;
}

/// 1024^n for the suffix K, M or G (either case), 1 for anything else.
std::uint64_t suffix_scale(char c) {
  constexpr std::string_view suffixes = "kmg";
  auto n = suffixes.find(static_cast<char>(c | 0x20)); // lower case
  return n == std::string_view::npos ? 1 : std::uint64_t{1} << (10 * (n + 1));
}

/// Bytes: a count with an optional K, M or G suffix (powers of 1024).
std::optional<std::string> parse_bytes(std::string_view value,
                                       std::uint64_t &out) {
  std::uint64_t scale = value.empty() ? 1 : suffix_scale(value.back());
  std::string_view digits = value.substr(0, value.size() - (scale != 1));
  std::uint64_t n = 0;
  constexpr std::uint64_t max = std::uint64_t{1} << 50; // 1 PiB
  if (digits.empty() || parse_int<std::uint64_t>(digits, n, 0, max / scale))
    return "expects bytes with an optional K, M or G suffix, got '" +
           std::string(value) + "'";
  out = n * scale;
  return std::nullopt;
}

/// A fraction in [0, 1].
std::optional<std::string> parse_fraction(std::string_view value, double &out) {
  double v = 0;
  auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || !(v >= 0) ||
      v > 1)
    return "expects a fraction in [0, 1], got '" + std::string(value) + "'";
  out = v;
  return std::nullopt;
}

/// Milliseconds in [min, max].
std::optional<std::string> parse_ms(std::string_view value,
                                    std::chrono::milliseconds &out, long min,
                                    long max) {
  long ms = 0;
  auto error = parse_int<long>(value, ms, min, max);
  out = std::chrono::milliseconds(ms);
  return error;
}

constexpr FlagSpec kFlags[] = {
    {"--nu-call-timeout-ms",
     "how long a remote call waits for its reply (default 30000)",
     [](RuntimeFlags &f, std::string_view v) {
       long ms = 0;
       auto error = parse_int<long>(v, ms, 1, 86'400'000);
       f.call_timeout = std::chrono::milliseconds(ms);
       return error;
     }},
    {"--nu-chaos-migrate-ms",
     "for testing: this often (ms) move a random proclet of this node to a "
     "random other node (default 0: off)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_ms(v, f.chaos_migrate, 0, 3'600'000);
     }},
    {"--nu-controller",
     "run main's function as the main node of the logical process whose "
     "controller is at HOST:PORT (default: a controller inside this process)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_address(v, f.controller);
     }},
    {"--nu-cpu-high",
     "move the busiest proclets away while the CPUs this process may run on "
     "(its affinity or cpuset) are busier than this fraction, whoever uses "
     "them (default 0: off)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_fraction(v, f.cpu_high);
     }},
    {"--nu-help", "print the runtime's flags and exit",
     [](RuntimeFlags &f, std::string_view) -> std::optional<std::string> {
       f.help = true;
       return std::nullopt;
     },
     false},
    {"--nu-insecure",
     "allow listening beyond loopback without a cluster secret (anyone who "
     "reaches the port may join or command the logical process)",
     [](RuntimeFlags &f, std::string_view) -> std::optional<std::string> {
       f.insecure = true;
       return std::nullopt;
     },
     false},
    {"--nu-join",
     "serve proclets as a node of the logical process whose controller is "
     "at HOST:PORT, without running main's function; exit when it ends",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_address(v, f.join);
     }},
    {"--nu-listen",
     "this node's address HOST:PORT (default: 127.0.0.1 and a free port)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_address(v, f.listen);
     }},
    {"--nu-log-level",
     "what the runtime logs to stderr: trace, debug, info, warn, error or "
     "off (info adds a line per migration and membership change; default "
     "warn)",
     [](RuntimeFlags &f, std::string_view v) -> std::optional<std::string> {
       if (auto level = log::parse_level(v)) {
         f.log_level = *level;
         return std::nullopt;
       }
       return "expects trace, debug, info, warn, error or off, got '" +
              std::string(v) + "'";
     }},
    {"--nu-mem-limit",
     "memory this node may use (bytes, K/M/G suffixes): above 90 % of it "
     "its proclets move away until it is below 80 %; also caps the free "
     "memory it reports (default 0: none)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_bytes(v, f.mem_limit);
     }},
    {"--nu-migrate-drain-ms",
     "how long a migration waits for the proclet's calls in flight to finish "
     "before it gives up and the proclet stays (default 1000)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_ms(v, f.migrate_drain, 1, 3'600'000);
     }},
    {"--nu-migrate-delay-ms",
     "for comparison only: wait this long (ms) before each migration starts, "
     "the proclet running meanwhile (default 0)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_ms(v, f.migrate_delay, 0, 3'600'000);
     }},
    {"--nu-migrate-throttle-mbps",
     "for comparison only: send a migrating proclet's state at most this "
     "many MB/s, as an ordinary live migration would (default 0: no limit)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_int<std::uint64_t>(v, f.migrate_throttle_mbps, 0,
                                       1'000'000);
     }},
    {"--nu-proclet-heaps",
     "how many proclets at once get a heap of their own, which charges "
     "them what they allocate and frees it when they leave (default 256, "
     "at most 3000; 0: none, proclets are charged their state's size)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_int<std::size_t>(v, f.proclet_heaps, 0, 3000);
     }},
    {"--nu-min-free",
     "move proclets away while the host (or cgroup) has less free memory "
     "than this, until it has 25 % more (bytes, K/M/G suffixes; default "
     "64M, 0: off)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_bytes(v, f.min_free);
     }},
    {"--nu-monitor-ms",
     "how often the migration policy samples memory and CPU (default 100; "
     "0: no policy)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_ms(v, f.monitor, 0, 60'000);
     }},
    {"--nu-secret-file",
     "file holding the cluster secret every node, the controller and nuctl "
     "share (readable by its owner only; default: the file NU_SECRET_FILE "
     "names; without one, a single-process run makes its own and other runs "
     "are unauthenticated)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_file(v, f.secret_file);
     }},
    {"--nu-stop-drain-ms",
     "a server node stopped by SIGINT or SIGTERM first moves its proclets to "
     "other nodes for at most this long; a second signal cuts it short "
     "(default 60000; 0: leave at once, losing them)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_ms(v, f.stop_drain, 0, 3'600'000);
     }},
    {"--nu-tls-ca",
     "with --nu-tls-cert and --nu-tls-key: every link is TLS, and a peer "
     "must present a certificate signed by this CA (PEM)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_file(v, f.tls.ca);
     }},
    {"--nu-tls-cert", "this process's TLS certificate chain (PEM)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_file(v, f.tls.cert);
     }},
    {"--nu-tls-key",
     "this process's TLS private key (PEM, readable by its owner only)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_file(v, f.tls.key);
     }},
    {"--nu-transport",
     "transport name (tcp, memory) or path of a transport plugin .so "
     "(default tcp)",
     [](RuntimeFlags &f, std::string_view v) -> std::optional<std::string> {
       if (v.empty())
         return "needs a transport name";
       f.transport = std::string(v);
       return std::nullopt;
     }},
    {"--nu-workers",
     "runnable invocation workers (default: one per hardware thread)",
     [](RuntimeFlags &f, std::string_view v) {
       return parse_int<unsigned>(v, f.workers, 1, 1024);
     }},
};

const FlagSpec *find_flag(std::string_view name) {
  for (const FlagSpec &f : kFlags)
    if (f.name == name)
      return &f;
  return nullptr;
}

std::string valid_names() {
  std::string out;
  for (const FlagSpec &f : kFlags)
    out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

Failure bad(std::string message) {
  return {std::make_error_code(std::errc::invalid_argument),
          std::move(message)};
}

} // namespace

std::string flags_help() {
  std::string out;
  for (const FlagSpec &f : kFlags)
    out += "  " + std::string(f.name) + (f.takes_value ? " V" : "") +
           "\n      " + std::string(f.help) + "\n";
  return out;
}

Expected<RuntimeFlags> parse_flags(int &argc, char **argv) {
  RuntimeFlags flags;
  int kept = argc > 0 ? 1 : 0;
  for (int i = kept; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") { // the rest belongs to the application
      while (i < argc)
        argv[kept++] = argv[i++];
      break;
    }
    if (!arg.starts_with("--nu-")) {
      argv[kept++] = argv[i];
      continue;
    }
    auto eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    const FlagSpec *spec = find_flag(name);
    if (!spec)
      return bad("unknown flag '" + std::string(name) +
                 "' (valid flags: " + valid_names() + ")");
    std::string_view value;
    if (eq != std::string_view::npos)
      value = arg.substr(eq + 1);
    else if (spec->takes_value && i + 1 < argc)
      value = argv[++i];
    else if (spec->takes_value)
      return bad("flag '" + std::string(name) + "' needs a value");
    if (auto error = spec->set(flags, value))
      return bad("flag '" + std::string(name) + "' " + *error);
  }
  argv[kept] = nullptr; // argv[argc] is null, and kept <= argc
  argc = kept;
  if (!flags.join.empty() && !flags.controller.empty())
    return bad("--nu-join and --nu-controller exclude each other (a node "
               "either serves or runs main's function)");
  return flags;
}

} // namespace nu::detail
