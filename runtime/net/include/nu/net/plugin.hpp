// Loading transports from shared objects (plugins): what counts as a
// plugin path, and dlopen-ing one to make a transport.
#pragma once

#include "nu/net/transport.hpp"

#include <memory>
#include <string_view>

namespace nu::net {

/// Whether make_transport treats \p name as the path of a plugin: it
/// contains a '/' or ends in ".so" (a bare "x.so" is searched for as
/// dlopen does).
bool is_plugin_path(std::string_view name);

/// Loads the transport plugin at \p path (see nu/transport_plugin.h) and
/// makes a transport with it. The library stays loaded while the transport
/// and every connection it handed out are alive.
Expected<std::unique_ptr<Transport>>
load_transport_plugin(std::string_view path, const TransportOptions &options);

} // namespace nu::net
