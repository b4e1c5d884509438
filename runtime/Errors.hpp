// Where a failure inside the runtime (a std::error_code and a message, from
// any layer) becomes the exception the public API throws: one place.
#pragma once

#include "nu/detail/expected.hpp"

#include <string_view>

namespace nu::detail {

/// Throws nu::Error "nu: <context>: <message>" ("nu: <message>" without a
/// context).
[[noreturn]] void raise(std::string_view context, const Failure &failure);

} // namespace nu::detail
