// INFO's text: Redis's sections (server, clients, memory, keyspace) and a
// `# nu` section about the node the client is connected to.
#pragma once

#include "Commands.hpp"

#include <string>

namespace kv {

/// INFO's reply for \p section (lower case): one section by name, or
/// "default", "all", "everything"; an unknown name gives "".
std::string info_text(Call &c, const std::string &section);

} // namespace kv
