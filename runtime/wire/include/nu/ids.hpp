// Names of things in a logical process: nodes and proclets.
// Both are plain integers so they print, hash and travel as they are.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include <cstdint>

namespace nu {

/// A node (one process, usually one machine) of the logical process.
using NodeId = std::uint32_t;

/// A proclet, unique within the logical process for its whole life.
using ProcletId = std::uint64_t;

} // namespace nu
