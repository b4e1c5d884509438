// The controller's error codes: a std::error_code category ("nu.controller")
// for the values the controller, its client and nuctl return.
#pragma once

#include "nu/detail/expected.hpp"

#include <string_view>
#include <system_error>

namespace nu::controller {

using detail::Expected;
using detail::Failure;

/// What went wrong, for code that reacts to it.
enum class Errc {
  invalid_argument = 1,
  unknown_node,
  node_dead,
  node_left,
  binary_mismatch,
  id_taken,
  no_live_node,
  no_capacity,
  unknown_proclet,
  ids_exhausted,
  unreachable,       ///< the controller (or a node) did not answer
  recovering,        ///< restarted; waits for the nodes to rejoin (retry)
  permission_denied, ///< the connection may not do this (docs/wire.md)
};
constexpr Errc kMaxErrc = Errc::permission_denied;

/// The code's name, e.g. "unknown_node".
std::string_view to_string(Errc code);
/// The category of Errc codes.
const std::error_category &category();
inline std::error_code make_error_code(Errc code) {
  return {static_cast<int>(code), category()};
}
/// \p code as an Errc: itself in this category, else invalid_argument.
Errc errc_of(const std::error_code &code);

} // namespace nu::controller

template <>
struct std::is_error_code_enum<nu::controller::Errc> : std::true_type {};
