// What a node tells the controller about its machine and binary: capacity,
// current load, and the build id and schema digest checked at join.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace nu::detail {

struct MachineLoad {
  std::uint64_t total_memory = 0;
  std::uint64_t free_memory = 0;
  std::uint32_t cpus = 0; ///< that this process may run on (affinity)
};

/// Reads /proc (and the cgroup's memory limit when it is lower). With a
/// \p mem_limit (--nu-mem-limit), free memory is at most what of it this
/// process does not use yet.
MachineLoad machine_load(std::uint64_t mem_limit = 0);
/// What the cgroups of a process may still use: the smallest limit minus
/// usage from its cgroup up to the root, in cgroup v1's memory hierarchy or
/// v2's; empty if none is limited. \p self is its /proc/<pid>/cgroup, \p
/// mount where the hierarchies are mounted (/sys/fs/cgroup).
std::optional<std::uint64_t> cgroup_free(const std::string &self,
                                         const std::string &mount);
/// This process's resident memory in bytes (/proc/self/statm).
std::uint64_t process_rss();
/// CPU time this process used so far (user and system), in nanoseconds.
std::uint64_t process_cpu_ns();
/// The executable's GNU build id in hex, or a hash of its file if it has
/// none.
std::string build_id();
/// A digest of every registered proclet type's name and schema hash.
std::string schema_digest();

} // namespace nu::detail
