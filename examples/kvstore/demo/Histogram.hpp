// A latency histogram with about 1.5 % resolution (64 linear steps per
// power of two of nanoseconds), mergeable, for the load generator.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace kvload {

class Histogram {
public:
  Histogram() : Counts(kBuckets, 0) {}

  void record(std::uint64_t Ns) {
    ++Counts[bucket(Ns)];
    ++Total;
    Max = std::max(Max, Ns);
  }

  void merge(const Histogram &Other) {
    for (std::size_t I = 0; I < kBuckets; ++I)
      Counts[I] += Other.Counts[I];
    Total += Other.Total;
    Max = std::max(Max, Other.Max);
  }

  void clear() {
    std::fill(Counts.begin(), Counts.end(), 0);
    Total = 0;
    Max = 0;
  }

  std::uint64_t count() const { return Total; }
  std::uint64_t max() const { return Max; }

  /// The \p Q quantile (0..1) in nanoseconds, 0 when empty.
  std::uint64_t quantile(double Q) const {
    if (Total == 0)
      return 0;
    auto Rank = static_cast<std::uint64_t>(std::ceil(Q * Total));
    Rank = std::clamp<std::uint64_t>(Rank, 1, Total);
    std::uint64_t Seen = 0;
    for (std::size_t I = 0; I < kBuckets; ++I) {
      Seen += Counts[I];
      if (Seen >= Rank)
        return std::min(middle(I), Max);
    }
    return Max;
  }

private:
  static constexpr unsigned kSubBits = 6;
  static constexpr std::uint64_t kSub = 1u << kSubBits;
  static constexpr unsigned kGroups = 36; // up to 2^40 ns, about 18 minutes
  static constexpr std::size_t kBuckets = kGroups * kSub;

  static std::size_t bucket(std::uint64_t Ns) {
    Ns = std::min<std::uint64_t>(Ns, (std::uint64_t{1} << 40) - 1);
    if (Ns < kSub)
      return Ns;
    unsigned Msb = std::bit_width(Ns) - 1;
    unsigned Group = Msb - kSubBits + 1;
    return Group * kSub + ((Ns >> (Msb - kSubBits)) & (kSub - 1));
  }

  static std::uint64_t middle(std::size_t Index) {
    std::uint64_t Group = Index / kSub, Sub = Index % kSub;
    if (Group == 0)
      return Sub;
    std::uint64_t Width = std::uint64_t{1} << (Group - 1);
    return ((kSub + Sub) << (Group - 1)) + Width / 2;
  }

  std::vector<std::uint64_t> Counts;
  std::uint64_t Total = 0;
  std::uint64_t Max = 0;
};

} // namespace kvload
