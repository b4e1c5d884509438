// What the load generator reports: each server's INFO figures, a progress
// line and a CSV row per interval, and the summary over the run's phases.
#pragma once

#include "Histogram.hpp"
#include "Options.hpp"
#include "Resp.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace kvload {

/// A server's figures from INFO; -1 where INFO did not say.
struct NodeStats {
  double Rss = -1; // bytes: nu_rss, else used_memory_rss
  long Proclets = -1;
  long Migrations = -1;
  double MigratedBytes = -1;
  double MemLimit = -1;
  long Keys = -1;
};

NodeStats parseInfo(const std::string &Info);

/// One connection per server, asked for INFO each interval.
class NodeMonitor {
public:
  NodeMonitor(const std::vector<Address> &Servers, int TimeoutMs);
  std::vector<NodeStats> query();

private:
  std::vector<std::unique_ptr<Connection>> Conns;
};

/// One interval of the load: its end (seconds since the load began), its
/// length, its latencies and the servers' figures at its end.
struct Sample {
  double T = 0;
  double Seconds = 0;
  Histogram Latency;
  std::vector<NodeStats> Nodes;
};

/// The squeeze, once sent.
struct Squeeze {
  bool Done = false;
  double At = 0;
  double Limit = 0;
  double RssBefore = -1;
  double RssAfter = -1;
};

std::string progressLine(const Sample &S);

class CsvWriter {
public:
  /// Writes the header; no file (and no rows) when \p Path is empty.
  CsvWriter(const std::string &Path, std::size_t Servers);
  ~CsvWriter();
  void row(const Sample &S);

private:
  std::FILE *File = nullptr;
};

void printSummary(const std::vector<Sample> &Samples, const Squeeze &Sq,
                  const Options &Opts);

std::string withCommas(double Value);

} // namespace kvload
