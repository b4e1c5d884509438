// Parsing the tools' command lines (see Args.hpp).
#include "Args.hpp"

#include <algorithm>
#include <charconv>

namespace nu::controller {
namespace {

bool listed(std::initializer_list<std::string_view> names,
            std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

} // namespace

Args parse_args(int argc, char **argv,
                std::initializer_list<std::string_view> with_value,
                std::initializer_list<std::string_view> switches) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--")) {
      args.positional.emplace_back(arg);
      continue;
    }
    auto eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    if (listed(switches, name) && eq == std::string_view::npos) {
      args.values[std::string(name)] = "";
      continue;
    }
    if (!listed(with_value, name)) {
      args.error = "unknown flag '" + std::string(name) + "'";
      return args;
    }
    if (eq != std::string_view::npos)
      args.values[std::string(name)] = std::string(arg.substr(eq + 1));
    else if (i + 1 < argc)
      args.values[std::string(name)] = argv[++i];
    else {
      args.error = "flag '" + std::string(name) + "' needs a value";
      return args;
    }
  }
  return args;
}

std::optional<long> parse_positive(const std::string &text) {
  long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0)
    return std::nullopt;
  return v;
}

} // namespace nu::controller
