// The load generator's command line: servers, the load's shape, the
// populate step, the squeeze and the outputs.
#pragma once

#include "Resp.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kvload {

struct Options {
  std::vector<Address> Servers;
  int Connections = 8;
  int Pipeline = 1;
  long Keys = 100000;
  int ValueSize = 32;
  double SetRatio = 0.1;
  bool Populate = false;
  int MsetKeys = 0; // populate with MSETs of this many keys; 0: SETs
  double Duration = 10;
  int IntervalMs = 1000;
  double SqueezeAt = -1; // seconds into the load; < 0: no squeeze
  std::optional<Address> SqueezeServer;
  std::string SqueezeTo;                     // bytes, NNmb, NNgb or NN%
  std::string SqueezeParam = "nu-mem-limit"; // CONFIG SET <param>
  std::string Csv;
  int TimeoutMs = 10000;
  bool Cluster = false; // Redis Cluster's protocol: keys go to their node
};

/// Parses argv; prints usage and exits on --help or a bad option.
Options parseOptions(int Argc, char **Argv);

} // namespace kvload
