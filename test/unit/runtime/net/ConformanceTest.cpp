// The transport conformance suite for the transports nu builds: memory and
// tcp from the list, the loopback test plugin loaded by its path, and
// memory and tcp again with a cluster secret (the handshake in front), and
// tcp with TLS, without and with a secret; and the ucx plugin when built,
// without and with a secret.
#include "nu/net/secret.hpp"
#include "nu/net/testing/transport_conformance.hpp"
#include "nu/net/tls.hpp"

namespace {

/// \p name's transport as make_transport() makes it with a secret, with
/// TLS, or with both.
nu::net::conformance::Target with(const std::string &name, bool secret,
                                  bool tls) {
  auto made = nu::net::conformance::target(name);
  made.label = name + (tls ? "_tls" : "") + (secret ? "_secret" : "");
  made.make = [name, secret, tls](nu::net::TransportOptions options) {
    if (secret)
      options.secret = std::make_shared<const nu::net::Secret>(
          "a cluster secret for the conformance suite");
    if (tls) {
      const std::string certs = NU_TEST_CERTS;
      auto config = nu::net::load_tls(
          {certs + "/node.pem", certs + "/node.key", certs + "/ca.pem"});
      if (!config)
        return nu::detail::Expected<std::unique_ptr<nu::net::Transport>>(
            config.failure());
      options.tls = *config;
    }
    return nu::net::make_transport(name, options);
  };
  return made;
}

} // namespace

NU_TRANSPORT_CONFORMANCE(Memory, "memory");
NU_TRANSPORT_CONFORMANCE(Tcp, "tcp");
NU_TRANSPORT_CONFORMANCE(Plugin, NU_TEST_PLUGIN_LOOPBACK);
NU_TRANSPORT_CONFORMANCE(MemorySecret, with("memory", true, false));
NU_TRANSPORT_CONFORMANCE(TcpSecret, with("tcp", true, false));
NU_TRANSPORT_CONFORMANCE(TcpTls, with("tcp", false, true));
NU_TRANSPORT_CONFORMANCE(TcpTlsSecret, with("tcp", true, true));
#ifdef NU_TEST_UCX // the plugin, found by its name
NU_TRANSPORT_CONFORMANCE(Ucx, "ucx");
NU_TRANSPORT_CONFORMANCE(UcxSecret, with("ucx", true, false));
#endif
