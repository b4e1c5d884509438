// Parsing nu-kvstore's flags: `--name value` or `--name=value`, checked
// ranges, one clear message for the first bad one.
#include "Options.hpp"

#include "Numbers.hpp"

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
    std::string_view name = arg.substr(0, arg.find('='));
    if (name != "--port" && name != "--host" && name != "--shards") {
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
  return o;
}

std::string usage(const std::string &program) {
  return "usage: " + program +
         " [--port P] [--host H] [--shards N] [--nu-... runtime flags]\n"
         "A Redis-compatible (RESP2) key-value server whose keys live in a\n"
         "nu::ShardedMap spread over the nodes of the logical process.\n"
         "  --port P    serve clients on port P (default 6379; 0: any free\n"
         "              port). A server node (--nu-join) serves clients only\n"
         "              when given --port.\n"
         "  --host H    listen on address H (default 127.0.0.1)\n"
         "  --shards N  shards of the map, 1..65536 (default 64; main node)\n"
         "  --help      this text; --nu-help lists the runtime's flags\n";
}

} // namespace kv
