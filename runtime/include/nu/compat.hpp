// Source compatibility with the original Nu code base: constructor
// arguments as a tuple, runtime_main_init. (Proclet::run/run_async exist
// on every handle.)
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/nu.hpp"

#include <cstdint>
#include <optional>
#include <tuple>

namespace nu {

/// `make_proclet<T>(std::forward_as_tuple(a, b), pinned)` as in Nu.
template <class T, class... A>
Proclet<T> make_proclet(std::tuple<A...> args, bool pinned = false,
                        std::optional<std::uint64_t> capacity = std::nullopt,
                        std::optional<NodeId> node = std::nullopt) {
  ProcletOptions options;
  options.pinned = pinned;
  options.node = node;
  options.expected_size = capacity.value_or(0);
  return std::apply(
      [&](auto &&...a) {
        return make_proclet<T>(options, std::forward<decltype(a)>(a)...);
      },
      std::move(args));
}

/// Nu's entry point: runs `fn(argc, argv)` as the main proclet.
template <class Fn> int runtime_main_init(int argc, char **argv, Fn &&fn) {
  return main(argc, argv, std::forward<Fn>(fn));
}

} // namespace nu
