// Order statistics over samples in seconds, for the migration benchmark's
// table.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace migbench {

using Seconds = std::vector<double>;

/// The q-quantile (0..1, nearest rank below) of the samples; 0 if none.
inline double quantile(Seconds samples, double q) {
  if (samples.empty())
    return 0;
  std::sort(samples.begin(), samples.end());
  auto index = static_cast<std::size_t>(q * (samples.size() - 1));
  return samples[index];
}

inline double median(const Seconds &samples) { return quantile(samples, 0.5); }

inline double maximum(const Seconds &samples) {
  return samples.empty() ? 0
                         : *std::max_element(samples.begin(), samples.end());
}

} // namespace migbench
