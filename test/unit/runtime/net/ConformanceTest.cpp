// The transport conformance suite for the transports nu builds: memory and
// tcp from the list, the loopback test plugin loaded by its path, and
// memory and tcp again with a cluster secret (the handshake in front).
#include "nu/net/secret.hpp"
#include "nu/net/testing/transport_conformance.hpp"

namespace {

/// \p name's transport as make_transport() makes it with a secret.
nu::net::conformance::Target with_secret(const std::string &name) {
  auto made = nu::net::conformance::target(name);
  made.label = name + "_secret";
  made.make = [name](nu::net::TransportOptions options) {
    options.secret = std::make_shared<const nu::net::Secret>(
        "a cluster secret for the conformance suite");
    return nu::net::make_transport(name, options);
  };
  return made;
}

} // namespace

NU_TRANSPORT_CONFORMANCE(Memory, "memory");
NU_TRANSPORT_CONFORMANCE(Tcp, "tcp");
NU_TRANSPORT_CONFORMANCE(Plugin, NU_TEST_PLUGIN_LOOPBACK);
NU_TRANSPORT_CONFORMANCE(MemorySecret, with_secret("memory"));
NU_TRANSPORT_CONFORMANCE(TcpSecret, with_secret("tcp"));
