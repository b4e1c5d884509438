// The alternative to migration: start a fresh process of this binary that
// rebuilds the state, and time it until it reports ready.
#pragma once

#include "Stats.hpp"

#include <cstddef>

namespace migbench {

/// True when argv asks for the restarted-process mode (--restart-child N).
bool is_restart_child(int argc, char **argv);

/// The restarted process: builds an N-byte state, says "ready", exits.
int restart_child_main(int argc, char **argv);

/// Starts `reps` fresh processes one after the other, each rebuilding a
/// `bytes`-byte state; returns the seconds from spawn to "ready" of each.
Seconds restart_seconds(std::size_t bytes, int reps);

} // namespace migbench
