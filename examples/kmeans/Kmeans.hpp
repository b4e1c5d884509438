// The k-means arithmetic shared by the nu program and the plain threaded
// version in bench/kmeans: parameters, a partition's points, one step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace kmeans {

/// What to cluster and how: `points` points of `dims` coordinates drawn
/// around `k` random centers, split into `partitions`.
struct Params {
  std::size_t points = 200'000;
  std::size_t dims = 8;
  std::size_t k = 8;
  std::size_t partitions = 8;
  std::size_t iterations = 10;
  std::uint64_t seed = 1;

  template <class Archive> void serialize(Archive &A) {
    A(points, dims, k, partitions, iterations, seed);
  }
};

/// Reads `--points N --dims N --k N --partitions N --iterations N --seed N`;
/// throws std::invalid_argument naming what is wrong.
inline Params parse_params(int argc, char **argv) {
  Params p;
  auto number = [](const std::string &flag, const char *text) {
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(text, &used);
    } catch (const std::exception &) {
      used = 0;
    }
    if (used == 0 || text[used] != '\0' || text[0] == '-')
      throw std::invalid_argument(flag + " wants a number, not '" + text + "'");
    return static_cast<std::size_t>(v);
  };
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      throw std::invalid_argument("unknown flag or missing value: " + flag);
    std::size_t v = number(flag, argv[++i]);
    if (flag == "--points")
      p.points = v;
    else if (flag == "--dims")
      p.dims = v;
    else if (flag == "--k")
      p.k = v;
    else if (flag == "--partitions")
      p.partitions = v;
    else if (flag == "--iterations")
      p.iterations = v;
    else if (flag == "--seed")
      p.seed = v;
    else
      throw std::invalid_argument("unknown flag: " + flag);
  }
  if (p.dims == 0 || p.k == 0 || p.partitions == 0 ||
      p.points < p.k * p.partitions)
    throw std::invalid_argument(
        "want dims, k and partitions >= 1 and points >= k * partitions");
  return p;
}

/// How many points partition `index` holds (the first ones take the rest).
inline std::size_t partition_size(const Params &p, std::size_t index) {
  return p.points / p.partitions + (index < p.points % p.partitions ? 1 : 0);
}

/// Partition `index`'s points, flattened (`dims` doubles each), drawn from
/// `rng`, which is seeded for that partition and keeps going after.
inline std::vector<double> make_points(const Params &p, std::size_t index,
                                       std::mt19937_64 &rng) {
  rng.seed(p.seed * 1'000'003 + index);
  std::mt19937_64 centers_rng(p.seed);
  std::uniform_real_distribution<double> where(-100.0, 100.0);
  std::vector<double> centers(p.k * p.dims);
  for (double &c : centers)
    c = where(centers_rng);
  std::normal_distribution<double> noise(0.0, 10.0);
  std::uniform_int_distribution<std::size_t> which(0, p.k - 1);
  std::vector<double> coords(partition_size(p, index) * p.dims);
  for (std::size_t i = 0; i < coords.size(); i += p.dims) {
    const double *center = &centers[which(rng) * p.dims];
    for (std::size_t d = 0; d < p.dims; ++d)
      coords[i + d] = center[d] + noise(rng);
  }
  return coords;
}

/// `n` points of `coords` picked at random by `rng`, flattened.
inline std::vector<double> sample(const std::vector<double> &coords,
                                  std::size_t dims, std::size_t n,
                                  std::mt19937_64 &rng) {
  std::uniform_int_distribution<std::size_t> pick(0, coords.size() / dims - 1);
  std::vector<double> out;
  out.reserve(n * dims);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t at = pick(rng) * dims;
    out.insert(out.end(), coords.begin() + at, coords.begin() + at + dims);
  }
  return out;
}

/// One partition's share of a step: per cluster, the sum and count of the
/// points nearest its centroid, and their squared distances' sum.
struct Partial {
  std::vector<double> sums;
  std::vector<std::uint64_t> counts;
  double inertia = 0;

  template <class Archive> void serialize(Archive &A) {
    A(sums, counts, inertia);
  }

  void add(const Partial &o) {
    if (sums.empty()) {
      *this = o;
      return;
    }
    for (std::size_t i = 0; i < sums.size(); ++i)
      sums[i] += o.sums[i];
    for (std::size_t i = 0; i < counts.size(); ++i)
      counts[i] += o.counts[i];
    inertia += o.inertia;
  }
};

/// Assigns each point of `coords` to its nearest centroid.
inline Partial step(const std::vector<double> &coords, std::size_t dims,
                    const std::vector<double> &centroids) {
  std::size_t k = centroids.size() / dims;
  Partial out{std::vector<double>(centroids.size()),
              std::vector<std::uint64_t>(k), 0};
  for (std::size_t i = 0; i < coords.size(); i += dims) {
    std::size_t best = 0;
    double best_d = 0;
    for (std::size_t c = 0; c < k; ++c) {
      double d2 = 0;
      for (std::size_t d = 0; d < dims; ++d) {
        double diff = coords[i + d] - centroids[c * dims + d];
        d2 += diff * diff;
      }
      if (c == 0 || d2 < best_d) {
        best = c;
        best_d = d2;
      }
    }
    for (std::size_t d = 0; d < dims; ++d)
      out.sums[best * dims + d] += coords[i + d];
    ++out.counts[best];
    out.inertia += best_d;
  }
  return out;
}

/// The centroids after a step: each cluster's mean, or where it was if it
/// got no point.
inline std::vector<double> next_centroids(const Partial &total,
                                          std::vector<double> centroids,
                                          std::size_t dims) {
  for (std::size_t c = 0; c < total.counts.size(); ++c) {
    if (total.counts[c] == 0)
      continue;
    for (std::size_t d = 0; d < dims; ++d)
      centroids[c * dims + d] =
          total.sums[c * dims + d] / static_cast<double>(total.counts[c]);
  }
  return centroids;
}

/// How many of the first centroids partition `index` picks (k over them).
inline std::size_t samples_from(const Params &p, std::size_t index) {
  return p.k / p.partitions + (index < p.k % p.partitions ? 1 : 0);
}

} // namespace kmeans
