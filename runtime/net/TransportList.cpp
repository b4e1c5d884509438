// The explicit list of transports compiled into nu, and making one by name
// (the TCP transport and the plugin loader join this list later).
#include "net/MemoryTransport.hpp"
#include "net/Transport.hpp"

#include <string>

namespace nu::net {
namespace {

constexpr TransportFactory kTransports[] = {
    {"memory", &make_memory_transport},
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

} // namespace

std::span<const TransportFactory> transports() { return kTransports; }

Expected<std::unique_ptr<Transport>>
make_transport(std::string_view name, const TransportOptions &options) {
  for (const auto &factory : kTransports)
    if (factory.name == name)
      return factory.create(options);
  return detail::Failure{std::make_error_code(std::errc::invalid_argument),
                         "unknown transport '" + std::string(name) +
                             "' (available: " + available_names() + ")"};
}

} // namespace nu::net
