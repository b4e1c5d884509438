// Names of the controller's error codes, for logs and for nuctl.
// Kept next to Result.hpp so a new code is named where it is added.
#include "Result.hpp"

namespace nu::controller {

std::string_view to_string(Errc code) {
  switch (code) {
  case Errc::invalid_argument:
    return "invalid_argument";
  case Errc::unknown_node:
    return "unknown_node";
  case Errc::node_dead:
    return "node_dead";
  case Errc::node_left:
    return "node_left";
  case Errc::binary_mismatch:
    return "binary_mismatch";
  case Errc::id_taken:
    return "id_taken";
  case Errc::no_live_node:
    return "no_live_node";
  case Errc::no_capacity:
    return "no_capacity";
  case Errc::unknown_proclet:
    return "unknown_proclet";
  case Errc::ids_exhausted:
    return "ids_exhausted";
  case Errc::unreachable:
    return "unreachable";
  case Errc::recovering:
    return "recovering";
  }
  return "unknown_error";
}

} // namespace nu::controller
