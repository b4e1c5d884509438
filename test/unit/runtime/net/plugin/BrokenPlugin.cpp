// Plugins the loader must refuse, one per NU_TEST_BROKEN value: another
// plugin ABI (1), another nu version (2), a create that returns null (3).
#include "nu/transport_plugin.h"

namespace {

void *create_nothing(const void *) { return nullptr; }

constexpr nu_transport_plugin kPlugin = {
    NU_TEST_BROKEN == 1 ? NU_TRANSPORT_PLUGIN_ABI + 1 : NU_TRANSPORT_PLUGIN_ABI,
    "broken-test",
    NU_TEST_BROKEN == 2 ? "0.0.0-other" : NU_VERSION_STRING,
    &create_nothing,
};

} // namespace

extern "C" const nu_transport_plugin *nu_transport_plugin_v1(void) {
  return &kPlugin;
}
