// The "nu.controller" error category: names of the controller's codes, for
// logs and for nuctl. Kept next to Result.hpp so a new code is named here.
#include "Result.hpp"

#include <string>

namespace nu::controller {
namespace {

class Category final : public std::error_category {
public:
  const char *name() const noexcept override { return "nu.controller"; }
  std::string message(int code) const override {
    return std::string(to_string(static_cast<Errc>(code)));
  }
};

} // namespace

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
  case Errc::permission_denied:
    return "permission_denied";
  }
  return "unknown_error";
}

const std::error_category &category() {
  static const Category instance;
  return instance;
}

Errc errc_of(const std::error_code &code) {
  if (code.category() != category() || code.value() < 1 ||
      code.value() > static_cast<int>(kMaxErrc))
    return Errc::invalid_argument;
  return static_cast<Errc>(code.value());
}

} // namespace nu::controller
