// The transport conformance suite for the transports nu builds: memory and
// tcp from the list, and the loopback test plugin loaded by its path.
#include "nu/net/testing/transport_conformance.hpp"

NU_TRANSPORT_CONFORMANCE(Memory, "memory");
NU_TRANSPORT_CONFORMANCE(Tcp, "tcp");
NU_TRANSPORT_CONFORMANCE(Plugin, NU_TEST_PLUGIN_LOOPBACK);
