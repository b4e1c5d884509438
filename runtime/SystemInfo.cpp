// Machine load from /proc and the cgroups (v1 or v2); the build id from the
// executable's PT_NOTE segment (NT_GNU_BUILD_ID); the schema digest from the
// registry.
#include "SystemInfo.hpp"
#include "CpuUse.hpp"

#include "nu/detail/hash.hpp"
#include "nu/detail/registry.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <iterator>
#include <link.h>
#include <sstream>
#include <thread>
#include <time.h>
#include <unistd.h>

namespace nu::detail {
namespace {

std::uint64_t meminfo_kib(const std::string &key) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  std::uint64_t value = 0;
  std::string unit;
  while (in >> name >> value >> unit)
    if (name == key + ":")
      return value * 1024;
  return 0;
}

/// The first value of file \p path; empty if it has none or says "max".
std::optional<std::uint64_t> read_value(const std::string &path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max")
    return std::nullopt;
  try {
    return std::stoull(text);
  } catch (const std::exception &) {
    return std::nullopt;
  }
}

/// Limit minus usage in directory \p dir (v1 or v2 file names), if limited
/// there. v1 says "no limit" with a number near 2^63.
std::optional<std::uint64_t> free_in(const std::string &dir, bool v1) {
  auto limit =
      read_value(dir + (v1 ? "/memory.limit_in_bytes" : "/memory.max"));
  auto used =
      read_value(dir + (v1 ? "/memory.usage_in_bytes" : "/memory.current"));
  if (!limit || !used || *limit >= (std::uint64_t{1} << 62))
    return std::nullopt;
  return *limit > *used ? *limit - *used : 0;
}

/// The smallest free_in() from \p path up to the hierarchy's root.
std::optional<std::uint64_t> free_up(const std::string &root, std::string path,
                                     bool v1) {
  std::optional<std::uint64_t> out;
  for (;;) {
    if (auto f = free_in(root + (path == "/" ? "" : path), v1))
      out = std::min(out.value_or(*f), *f);
    if (path == "/" || path.empty())
      return out;
    std::size_t slash = path.rfind('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
}

std::string hex(const unsigned char *p, std::size_t n) {
  std::string out;
  char b[3];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    out += b;
  }
  return out;
}

int find_note(dl_phdr_info *info, std::size_t, void *out) {
  auto *id = static_cast<std::string *>(out);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto &ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE)
      continue;
    auto *p =
        reinterpret_cast<const unsigned char *>(info->dlpi_addr + ph.p_vaddr);
    const unsigned char *end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) nh;
      std::memcpy(&nh, p, sizeof nh);
      const unsigned char *name = p + sizeof nh;
      const unsigned char *desc = name + ((nh.n_namesz + 3) & ~3u);
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0 && desc + nh.n_descsz <= end) {
        *id = hex(desc, nh.n_descsz);
        return 1;
      }
      p = desc + ((nh.n_descsz + 3) & ~3u);
    }
  }
  return 1; // only the first object: the executable
}

std::string file_hash() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  char b[32];
  std::snprintf(b, sizeof b, "file-%016llx",
                static_cast<unsigned long long>(fnv1a64(bytes)));
  return b;
}

} // namespace

std::optional<std::uint64_t> cgroup_free(const std::string &self,
                                         const std::string &mount) {
  std::optional<std::uint64_t> out;
  auto take = [&](std::optional<std::uint64_t> f) {
    if (f)
      out = std::min(out.value_or(*f), *f);
  };
  std::istringstream in(self);
  for (std::string line; std::getline(in, line);) {
    std::size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos)
      continue;
    std::string controllers = "," + line.substr(a + 1, b - a - 1) + ",";
    std::string path = line.substr(b + 1);
    if (controllers == ",,") { // v2: the root, or beside v1 ("unified")
      take(free_up(mount, path, false));
      take(free_up(mount + "/unified", path, false));
    } else if (controllers.find(",memory,") != std::string::npos) {
      take(free_up(mount + "/memory", path, true));
    }
  }
  return out;
}

MachineLoad machine_load(std::uint64_t mem_limit) {
  MachineLoad m;
  m.total_memory = meminfo_kib("MemTotal");
  m.free_memory = meminfo_kib("MemAvailable");
  std::ifstream self("/proc/self/cgroup");
  std::string lines((std::istreambuf_iterator<char>(self)),
                    std::istreambuf_iterator<char>());
  if (auto limited = cgroup_free(lines, "/sys/fs/cgroup"))
    m.free_memory = std::min(m.free_memory, *limited);
  if (mem_limit != 0) {
    std::uint64_t rss = process_rss();
    m.free_memory =
        std::min(m.free_memory, mem_limit > rss ? mem_limit - rss : 0);
  }
  m.cpus = static_cast<std::uint32_t>(
      std::max<std::size_t>(1, allowed_cpus().size()));
  return m;
}

std::uint64_t process_rss() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident))
    return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::uint64_t process_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(t.tv_nsec);
}

std::string build_id() {
  std::string id;
  dl_iterate_phdr(find_note, &id);
  return id.empty() ? file_hash() : id;
}

std::string schema_digest() {
  auto schemas = TypeRegistry::instance().schemas();
  std::sort(schemas.begin(), schemas.end());
  std::string all;
  for (const auto &[name, hash] : schemas)
    all += name + '=' + std::to_string(hash) + ';';
  char b[24];
  std::snprintf(b, sizeof b, "%016llx",
                static_cast<unsigned long long>(fnv1a64(all)));
  return b;
}

} // namespace nu::detail
