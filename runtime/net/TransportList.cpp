// The explicit list of transports compiled into nu ({name, factory}), and
// making one by name: from the list, or from a plugin .so given by path;
// with a cluster secret, wrapped in the cluster handshake.
#include "nu/net/authenticated.hpp"
#include "nu/net/memory_transport.hpp"
#include "nu/net/plugin.hpp"
#include "nu/net/tcp_transport.hpp"
#include "nu/net/transport.hpp"

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

Expected<std::unique_ptr<Transport>>
make_plain_transport(std::string_view name, const TransportOptions &options) {
  for (const auto &factory : kTransports)
    if (factory.name == name)
      return factory.create(options);
  if (is_plugin_path(name))
    return load_transport_plugin(name, options);
  return detail::Failure{std::make_error_code(std::errc::invalid_argument),
                         "unknown transport '" + std::string(name) +
                             "' (available: " + available_names() +
                             "; or a path to a transport plugin .so)"};
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
