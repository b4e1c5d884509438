// k-means over points split into proclets: each Partition holds its points
// and a random engine that migrates with it; main steps all at once.
#include "Kmeans.hpp"

#include <nu/nu.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <vector>

class [[nu::proclet]] Partition {
public:
  Partition(kmeans::Params P, std::size_t Index)
      : Dims(P.dims), Coords(kmeans::make_points(P, Index, Rng)) {}

  /// \p N of this partition's points, picked at random.
  std::vector<double> Sample(std::size_t N) {
    return kmeans::sample(Coords, Dims, N, Rng);
  }
  kmeans::Partial Step(const std::vector<double> &Centroids) const {
    return kmeans::step(Coords, Dims, Centroids);
  }
  nu::NodeId Where() const { return nu::this_node(); }

private:
  std::size_t Dims;
  std::mt19937_64 Rng;
  std::vector<double> Coords;
};

namespace {

using Clock = std::chrono::steady_clock;
using Parts = std::vector<nu::Proclet<Partition>>;

template <class R, class Call>
std::vector<R> on_all(const Parts &parts, Call call) {
  std::vector<nu::Future<R>> futures;
  for (std::size_t i = 0; i < parts.size(); ++i)
    futures.push_back(call(parts[i], i));
  return nu::when_all(std::move(futures)).get();
}

void print_placement(const Parts &parts) {
  std::map<nu::NodeId, int> per_node;
  for (nu::NodeId n : on_all<nu::NodeId>(parts, [](auto &p, std::size_t) {
         return p.RunAsync(&Partition::Where);
       }))
    ++per_node[n];
  std::printf("partitions per node:");
  for (auto [node, count] : per_node)
    std::printf(" %u:%d", node, count);
  std::printf("\n");
}

int run(const kmeans::Params &p) {
  Parts parts;
  for (std::size_t i = 0; i < p.partitions; ++i)
    parts.push_back(nu::make_proclet<Partition>(p, i));
  print_placement(parts);
  std::vector<double> centroids;
  for (auto &s : on_all<std::vector<double>>(parts, [&](auto &part, auto i) {
         return part.RunAsync(&Partition::Sample, kmeans::samples_from(p, i));
       }))
    centroids.insert(centroids.end(), s.begin(), s.end());

  double total_ms = 0, inertia = 0;
  for (std::size_t it = 1; it <= p.iterations; ++it) {
    auto start = Clock::now();
    kmeans::Partial total;
    for (auto &partial :
         on_all<kmeans::Partial>(parts, [&](auto &part, std::size_t) {
           return part.RunAsync(&Partition::Step, centroids);
         }))
      total.add(partial);
    centroids = kmeans::next_centroids(total, centroids, p.dims);
    double ms =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    total_ms += ms;
    inertia = total.inertia;
    std::printf("iteration %zu: %.2f ms, inertia %.6e\n", it, ms, inertia);
  }
  std::printf("mean iteration %.3f ms\n", total_ms / p.iterations);
  std::printf("result inertia %.17g\n", inertia);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  return nu::main(argc, argv, [](int ac, char **av) {
    kmeans::Params p;
    try {
      p = kmeans::parse_params(ac, av);
    } catch (const std::invalid_argument &e) {
      std::fprintf(stderr,
                   "kmeans: %s\nusage: kmeans [--points N] [--dims N] [--k N] "
                   "[--partitions N] [--iterations N] [--seed N]\n",
                   e.what());
      return 2;
    }
    std::printf("k-means: %zu points, %zu dims, k %zu, %zu partitions\n",
                p.points, p.dims, p.k, p.partitions);
    return run(p);
  });
}
