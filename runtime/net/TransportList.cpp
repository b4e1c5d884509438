// The explicit list of transports compiled into nu ({name, factory}), and
// making one by name: from the list, from a plugin .so given by path or
// named by its transport; with a cluster secret, wrapped in the handshake.
#include "nu/net/authenticated.hpp"
#include "nu/net/memory_transport.hpp"
#include "nu/net/plugin.hpp"
#include "nu/net/tcp_transport.hpp"
#include "nu/net/transport.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>

namespace nu::net {
namespace {

constexpr TransportFactory kTransports[] = {
    {"memory", &make_memory_transport},
    {"tcp", &make_tcp_transport},
};

std::string available_names() {
  std::string names;
  for (const auto &factory : kTransports) {
    if (!names.empty())
      names += ", ";
    names += factory.name;
  }
  return names;
}

// Where plugins named by their transport's name are looked for.
std::string plugin_dirs() {
  const char *path = std::getenv("NU_TRANSPORT_PATH");
  std::string dirs = path && *path ? std::string(path) + ":" : "";
  return dirs + NU_TRANSPORT_DIRS;
}

// The plugin \p name stands for: libnu-transport-<name>.so in the first
// of plugin_dirs() that has it.
std::optional<std::string> named_plugin(std::string_view name) {
  constexpr std::string_view kNameChars =
      "abcdefghijklmnopqrstuvwxyz0123456789_-";
  if (name.empty() || name.find_first_not_of(kNameChars) != name.npos)
    return std::nullopt;
  std::string dirs = plugin_dirs();
  for (std::size_t at = 0; at <= dirs.size();) {
    std::size_t end = std::min(dirs.find(':', at), dirs.size());
    std::string file = dirs.substr(at, end - at) + "/libnu-transport-" +
                       std::string(name) + ".so";
    if (end > at && access(file.c_str(), R_OK) == 0)
      return file;
    at = end + 1;
  }
  return std::nullopt;
}

Expected<std::unique_ptr<Transport>>
make_plain_transport(std::string_view name, const TransportOptions &options) {
  for (const auto &factory : kTransports)
    if (factory.name == name)
      return factory.create(options);
  if (is_plugin_path(name))
    return load_transport_plugin(name, options);
  if (auto plugin = named_plugin(name))
    return load_transport_plugin(*plugin, options);
  return detail::Failure{std::make_error_code(std::errc::invalid_argument),
                         "unknown transport '" + std::string(name) +
                             "' (available: " + available_names() +
                             ", a plugin libnu-transport-<name>.so in " +
                             plugin_dirs() +
                             ", or the path of a transport plugin .so)"};
}

} // namespace

std::span<const TransportFactory> transports() { return kTransports; }

Expected<std::unique_ptr<Transport>>
make_transport(std::string_view name, const TransportOptions &options) {
  if (options.tls && name != "tcp")
    return detail::Failure{std::make_error_code(std::errc::invalid_argument),
                           "TLS needs the tcp transport, not '" +
                               std::string(name) + "'"};
  auto made = make_plain_transport(name, options);
  if (!made || !options.secret)
    return made;
  return std::unique_ptr<Transport>(make_authenticated_transport(
      std::move(*made), options.secret, options.role));
}

} // namespace nu::net
