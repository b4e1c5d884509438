// bench/pressure's antagonist: takes MIB mebibytes as fast as Linux gives
// them (mmap and touch, 1 MiB at a time), then holds them until killed.
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

long parse_mib(const char *text) {
  char *end = nullptr;
  long mib = std::strtol(text, &end, 10);
  return (*text != '\0' && *end == '\0' && mib > 0) ? mib : -1;
}

} // namespace

int main(int argc, char **argv) {
  long mib = argc == 2 ? parse_mib(argv[1]) : -1;
  if (mib < 0) {
    std::fprintf(stderr,
                 "usage: %s MIB  (allocates MIB MiB, holds it until "
                 "killed)\n",
                 argv[0]);
    return 2;
  }
  constexpr std::size_t kMiB = 1 << 20;
  const auto start = Clock::now();
  double slowest = 0;
  for (long i = 0; i < mib; ++i) {
    const auto t = Clock::now();
    void *p = mmap(nullptr, kMiB, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      std::printf("antagonist: allocation failed at %ld MiB: %s\n", i,
                  std::strerror(errno));
      return 1;
    }
    std::memset(p, static_cast<int>(i), kMiB);
    slowest = std::max(slowest, ms_since(t));
  }
  std::printf("antagonist: allocated %ld MiB in %.1f ms (slowest MiB %.1f "
              "ms)\n",
              mib, ms_since(start), slowest);
  std::fflush(stdout);
  for (;;)
    pause();
}
