// The plain threaded k-means that bench/kmeans compares nu's with: the same
// partitions and steps (examples/kmeans/Kmeans.hpp), on a pool of threads.
#include "Kmeans.hpp"

#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

namespace {

struct Partition {
  std::mt19937_64 rng;
  std::vector<double> coords;
};

} // namespace

int main(int argc, char **argv) {
  // --threads N first, then the example's own flags.
  if (argc < 3 || std::string(argv[1]) != "--threads") {
    std::fprintf(stderr, "usage: bench_kmeans_threads --threads N "
                         "[kmeans flags]\n");
    return 2;
  }
  const std::size_t threads = std::strtoul(argv[2], nullptr, 10);
  kmeans::Params p;
  try {
    argv[2] = argv[0];
    p = kmeans::parse_params(argc - 2, argv + 2);
  } catch (const std::invalid_argument &e) {
    std::fprintf(stderr, "bench_kmeans_threads: %s\n", e.what());
    return 2;
  }
  if (threads == 0)
    return std::fprintf(stderr, "--threads wants 1 or more\n"), 2;

  std::vector<Partition> parts(p.partitions);
  std::vector<double> centroids;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    parts[i].coords = kmeans::make_points(p, i, parts[i].rng);
    auto s = kmeans::sample(parts[i].coords, p.dims, kmeans::samples_from(p, i),
                            parts[i].rng);
    centroids.insert(centroids.end(), s.begin(), s.end());
  }

  std::vector<kmeans::Partial> partials(parts.size());
  double total_ms = 0, inertia = 0;
  auto start = std::chrono::steady_clock::now();
  // Once every thread did its partitions: merge in partition order (as nu's
  // main does) and move the centroids.
  std::barrier sync(static_cast<std::ptrdiff_t>(threads), [&]() noexcept {
    kmeans::Partial total;
    for (auto &partial : partials)
      total.add(partial);
    centroids = kmeans::next_centroids(total, centroids, p.dims);
    inertia = total.inertia;
    auto now = std::chrono::steady_clock::now();
    total_ms += std::chrono::duration<double, std::milli>(now - start).count();
    start = now;
  });
  std::vector<std::jthread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t it = 0; it < p.iterations; ++it) {
        for (std::size_t i = t; i < parts.size(); i += threads)
          partials[i] = kmeans::step(parts[i].coords, p.dims, centroids);
        sync.arrive_and_wait();
      }
    });
  pool.clear();
  std::printf("mean iteration %.3f ms\n", total_ms / p.iterations);
  std::printf("result inertia %.17g\n", inertia);
  return 0;
}
