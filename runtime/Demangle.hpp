// Readable C++ names for messages: demangled type and symbol names.
#pragma once

#include <string>

namespace nu::detail {

/// The demangled form of \p mangled, or \p mangled itself.
std::string demangle(const char *mangled);

} // namespace nu::detail
