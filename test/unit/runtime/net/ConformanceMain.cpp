// The conformance runner: the transport conformance suite against the
// transport NU_CONFORMANCE_TRANSPORT names (a list name or a plugin path).
#include "nu/net/testing/transport_conformance.hpp"

NU_TRANSPORT_CONFORMANCE(Env, environment_target());

int main(int argc, char **argv) {
  return nu::net::conformance::run_from_environment(argc, argv);
}
