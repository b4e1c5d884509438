// Formats the migration benchmark's results as the tagged lines run.sh
// merges, over both placements, into one table per section.
#include "Report.hpp"

#include <cstdio>

namespace migbench {
namespace {

constexpr double kMB = 1e6;

std::string size_name(std::size_t size) {
  if (size >= (std::size_t{1} << 20))
    return std::to_string(size >> 20) + "MiB";
  return std::to_string(size >> 10) + "KiB";
}

/// The goal of a size's row: "rtt 1.62x <=2 met" (the pause against the raw
/// round trip), "tcp 45% >=40 met" (against raw TCP moving as many bytes).
std::string goal(const Results &r, const SizeResult &s, double mbps) {
  char text[64];
  if (s.size <= (std::size_t{64} << 10)) {
    double ratio = median(s.pause) / median(r.rtt);
    std::snprintf(text, sizeof text, "rtt %.2fx <=2 %s", ratio,
                  ratio <= 2 ? "met" : "MISSED");
    return text;
  }
  double tcp = static_cast<double>(s.size) / median(s.tcp) / kMB;
  double share = 100 * mbps / tcp;
  int want = s.size < (std::size_t{16} << 20) ? 40 : 50;
  std::snprintf(text, sizeof text, "tcp %.0f%% >=%d %s", share, want,
                share >= want ? "met" : "MISSED");
  return text;
}

void print_size(const Results &r, const SizeResult &s, int order) {
  double mbps = static_cast<double>(s.bytes) / median(s.pause) / kMB;
  double size = static_cast<double>(s.size);
  std::printf("ROW migration %d %-7s %-9s %3zu %8.3f/%-8.3f %8.3f/%-8.3f "
              "%6.0f %7.0f %7.0f %-22s %10.2f %8.1fx\n",
              order, size_name(s.size).c_str(), r.placement.c_str(),
              s.pause.size(), 1e3 * median(s.pause), 1e3 * maximum(s.pause),
              1e3 * median(s.wall), 1e3 * maximum(s.wall), mbps,
              size / median(s.memcpy) / kMB, size / median(s.tcp) / kMB,
              goal(r, s, mbps).c_str(), 1e3 * median(s.restart),
              median(s.restart) / median(s.pause));
}

void print_calls(const Results &r, const CallsResult &c, int order) {
  const CallsResult &still = r.calls.front();
  double p99 = quantile(c.latency, 0.99), p999 = quantile(c.latency, 0.999);
  std::printf("ROW calls %d %-22s %-9s %7zu %5zu %8.1f %8.1f %9.1f %9.1f "
              "%6.2fx %6.2fx\n",
              order, c.name.c_str(), r.placement.c_str(), c.latency.size(),
              c.pause.size(), 1e6 * median(c.latency), 1e6 * p99, 1e6 * p999,
              1e6 * maximum(c.latency), p99 / quantile(still.latency, 0.99),
              p999 / quantile(still.latency, 0.999));
}

void print_heads(const Results &r) {
  std::printf("HEAD limits raw TCP round trip, 64 bytes each way, between "
              "the same two processes\n"
              "HEAD limits %-9s %12s %12s\n",
              "placement", "rtt p50 us", "rtt p99 us");
  std::printf("HEAD migration nu::migrate, back and forth between the two "
              "nodes; times in ms; MB/s = bytes / pause p50\n"
              "HEAD migration memcpy, tcp: raw MB/s moving the same bytes; "
              "restart: a fresh process rebuilding the state\n"
              "HEAD migration %-7s %-9s %3s %17s %17s %6s %7s %7s %-22s %10s "
              "%9s\n",
              "state", "placement", "n", "pause p50/max", "migrate p50/max",
              "MB/s", "memcpy", "tcp", "goal (pause p50)", "restart ms",
              "rst/pause");
  std::printf(
      "HEAD calls Run(&Blob::Ping) on a 1 MiB proclet on the server, "
      "a call every 200 us, %.0f s; moves = server->main->server every 20 ms\n"
      "HEAD calls %-22s %-9s %7s %5s %8s %8s %9s %9s %7s %7s\n",
      r.call_seconds, "case", "placement", "calls", "moves", "p50us", "p99us",
      "p99.9us", "maxus", "p99/st", "p999/st");
}

} // namespace

void print_report(const Results &r) {
  print_heads(r);
  std::printf("ROW limits 0 %-9s %12.1f %12.1f\n", r.placement.c_str(),
              1e6 * median(r.rtt), 1e6 * quantile(r.rtt, 0.99));
  for (std::size_t i = 0; i < r.sizes.size(); ++i)
    print_size(r, r.sizes[i], static_cast<int>(i));
  for (std::size_t i = 0; i < r.calls.size(); ++i)
    print_calls(r, r.calls[i], static_cast<int>(i));
  std::fflush(stdout);
}

} // namespace migbench
