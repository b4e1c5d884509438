// Starting the runtime (nu::main) and asking where one runs: the nodes of
// the logical process and the caller's own node.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/ids.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

namespace nu {

/// The live nodes of the logical process.
std::vector<NodeId> nodes();
/// The node the calling thread runs on.
NodeId this_node();

/// The arguments the process hosting the caller was started with, without
/// the `--nu-...` flags (argv[0] first): on every node, main or server, so
/// a pinned proclet can read its node's own settings.
const std::vector<std::string> &process_args();

/// What the caller's node hosts and uses.
struct NodeStats {
  NodeId node = 0;
  std::size_t proclets = 0;         ///< hosted here now
  std::uint64_t migrations = 0;     ///< proclets moved away so far
  std::uint64_t rss = 0;            ///< the process's resident memory, bytes
  std::uint64_t mem_limit = 0;      ///< --nu-mem-limit or set_memory_limit
  std::uint64_t migrated_bytes = 0; ///< state bytes moved away so far
  std::size_t proclet_heaps = 0;    ///< proclets here with a heap of their own
  std::uint64_t heap_bytes = 0;     ///< allocated from those heaps now
};
NodeStats node_stats();

/// Changes the caller's node's memory limit while it runs (as
/// --nu-mem-limit=bytes would; 0: none). Above 90 % of it, the node moves
/// proclets away until it is below 80 %.
void set_memory_limit(std::uint64_t bytes);

namespace detail {
/// Parses and removes the `--nu-...` flags, starts the node, runs `fn`
/// inside the main proclet (on the main node), shuts down.
int run_main(int argc, char **argv, const std::function<int(int, char **)> &fn);
} // namespace detail

/// Starts the runtime with the process's arguments. On the main node runs
/// `fn` inside the pinned main proclet and returns the process's exit
/// code: `fn`'s if it returns an int, else 0 (1 if it throws). `fn` takes
/// no arguments, or (argc, argv) without the `--nu-...` flags.
template <class Fn> int main(int argc, char **argv, Fn &&fn) {
  return detail::run_main(argc, argv, [&fn](int ac, char **av) -> int {
    if constexpr (std::is_invocable_v<Fn &, int, char **>) {
      if constexpr (std::is_convertible_v<
                        std::invoke_result_t<Fn &, int, char **>, int>)
        return fn(ac, av);
      else
        return fn(ac, av), 0;
    } else {
      static_assert(std::is_invocable_v<Fn &>,
                    "nu::main: fn must take () or (int argc, char **argv)");
      if constexpr (std::is_convertible_v<std::invoke_result_t<Fn &>, int>)
        return fn();
      else
        return fn(), 0;
    }
  });
}

} // namespace nu
