// Command-line parsing for nu-controller and nuctl: `--name V` or
// `--name=V` for known names, the rest positional; errors as messages.
#pragma once

#include "nu/net/tls.hpp"

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nu::controller {

struct Args {
  std::map<std::string, std::string, std::less<>> values;
  std::vector<std::string> positional;
  std::optional<std::string> error; ///< set when the command line is bad

  /// The value of \p name, or \p fallback.
  std::string get(std::string_view name, std::string fallback = "") const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
  bool has(std::string_view name) const { return values.contains(name); }
};

/// Parses argv[1..]: \p with_value flags take a value, \p switches do not.
Args parse_args(int argc, char **argv,
                std::initializer_list<std::string_view> with_value,
                std::initializer_list<std::string_view> switches);

/// The TLS files of `--tls-cert`, `--tls-key` and `--tls-ca` (all empty
/// without them: plain TCP).
inline net::TlsFiles tls_files(const Args &args) {
  return {args.get("--tls-cert"), args.get("--tls-key"), args.get("--tls-ca")};
}

/// Parses a positive integer flag value; nullopt if it is not one.
std::optional<long> parse_positive(const std::string &text);

} // namespace nu::controller
