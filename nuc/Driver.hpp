// The nuc command line: parses options, loads compile commands, runs the
// frontend on each source, prints what was asked for.
#pragma once

namespace nuc {

/// Runs nuc as a command; returns the process exit status.
int runDriver(int Argc, const char **Argv);

} // namespace nuc
