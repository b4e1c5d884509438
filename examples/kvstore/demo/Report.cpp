// Formats the load generator's output: INFO parsing, progress lines, CSV
// rows, and the summary table over before / during / after the squeeze.
#include "Report.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace kvload {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double ms(std::uint64_t Ns) { return static_cast<double>(Ns) / 1e6; }

/// Space-separated figures, "-" where unknown.
template <typename Get>
std::string column(const std::vector<NodeStats> &Nodes, Get Figure) {
  std::string Out;
  for (const NodeStats &N : Nodes) {
    double Value = Figure(N);
    char Text[32];
    std::snprintf(Text, sizeof Text, Value < 0 ? " -" : " %.0f", Value);
    Out += Text;
  }
  return Out;
}

/// The sum of the servers' migration counters, -1 if none reports one.
long migrations(const Sample &S) {
  long Sum = -1;
  for (const NodeStats &N : S.Nodes)
    if (N.Migrations >= 0)
      Sum = std::max(Sum, 0L) + N.Migrations;
  return Sum;
}

struct Phase {
  std::string Name;
  double From = 0, To = 0, Seconds = 0;
  Histogram Latency;
};

void printPhase(const Phase &P) {
  if (P.Latency.count() == 0)
    return;
  char Span[32];
  std::snprintf(Span, sizeof Span, "%.0f-%.0f", P.From, P.To);
  std::printf("%-19s %8s %10s %8.2f %8.2f %9.2f %8.2f\n", P.Name.c_str(), Span,
              withCommas(P.Latency.count() / P.Seconds).c_str(),
              ms(P.Latency.quantile(0.5)), ms(P.Latency.quantile(0.99)),
              ms(P.Latency.quantile(0.999)), ms(P.Latency.max()));
}

void add(Phase &P, const Sample &S) {
  if (P.Latency.count() == 0 && P.Seconds == 0)
    P.From = S.T - S.Seconds;
  P.To = S.T;
  P.Seconds += S.Seconds;
  P.Latency.merge(S.Latency);
}

/// The index of the last sample whose migration total grew after the
/// squeeze, or 0 if none did.
std::size_t lastMigration(const std::vector<Sample> &Samples,
                          std::size_t First) {
  std::size_t Last = 0;
  for (std::size_t I = std::max<std::size_t>(First, 1); I < Samples.size(); ++I)
    if (migrations(Samples[I]) > migrations(Samples[I - 1]))
      Last = I;
  return Last;
}

std::vector<Phase> phases(const std::vector<Sample> &Samples,
                          const Squeeze &Sq) {
  std::vector<Phase> Out(4);
  Out[0].Name = "before squeeze";
  Out[1].Name = "during migrations";
  Out[2].Name = Sq.Done ? "after" : "load";
  Out[3].Name = "whole run";
  std::size_t First = 0;
  while (Sq.Done && First < Samples.size() && Samples[First].T <= Sq.At + 1e-3)
    ++First;
  std::size_t Last = Sq.Done ? lastMigration(Samples, First) : 0;
  for (std::size_t I = 0; I < Samples.size(); ++I) {
    std::size_t Which = !Sq.Done ? 2 : I < First ? 0 : I <= Last ? 1 : 2;
    add(Out[Which], Samples[I]);
    add(Out[3], Samples[I]);
  }
  return Out;
}

std::string mib(double Bytes) {
  if (Bytes < 0)
    return "unknown";
  char Text[32];
  std::snprintf(Text, sizeof Text, "%.1f MiB", Bytes / kMiB);
  return Text;
}

/// The state bytes every server moved away, or -1 if INFO has none.
double migratedBytes(const Sample &End) {
  double Bytes = -1;
  for (const NodeStats &N : End.Nodes)
    if (N.MigratedBytes >= 0)
      Bytes = std::max(Bytes, 0.0) + N.MigratedBytes;
  return Bytes;
}

void printMigrations(const std::vector<Sample> &Samples) {
  const Sample &End = Samples.back();
  std::printf("migrations (moved away, per server):%s",
              column(End.Nodes, [](const NodeStats &N) {
                return static_cast<double>(N.Migrations);
              }).c_str());
  double Bytes = migratedBytes(End);
  std::printf("; bytes moved: %s\n",
              Bytes < 0 ? "not in INFO" : mib(Bytes).c_str());
}

/// What the squeeze asked: the policy is relieved below 80 % of the limit
/// (docs/migration.md), so the node had to free its RSS above that.
void printNeeded(const Squeeze &Sq, double Moved) {
  double Needed = Sq.RssBefore - 0.8 * Sq.Limit;
  if (Needed <= 0 || Moved < 0)
    return;
  double Freed = Sq.RssBefore - Sq.RssAfter;
  std::printf("needed: %s (RSS down to 80 %% of the limit); moved %s of "
              "state (%.2fx), RSS fell %s (%.2fx)\n",
              mib(Needed).c_str(), mib(Moved).c_str(), Moved / Needed,
              mib(Freed).c_str(), Freed / Needed);
}

} // namespace

std::string withCommas(double Value) {
  std::string Digits = std::to_string(static_cast<long long>(Value + 0.5));
  for (int At = static_cast<int>(Digits.size()) - 3; At > 0; At -= 3)
    Digits.insert(static_cast<std::size_t>(At), ",");
  return Digits;
}

NodeStats parseInfo(const std::string &Info) {
  NodeStats N;
  std::istringstream In(Info);
  std::string Line;
  while (std::getline(In, Line)) {
    if (!Line.empty() && Line.back() == '\r')
      Line.pop_back();
    auto Colon = Line.find(':');
    if (Colon == std::string::npos)
      continue;
    std::string Key = Line.substr(0, Colon), Value = Line.substr(Colon + 1);
    double Number = std::strtod(Value.c_str(), nullptr);
    if (Key == "nu_rss" || (Key == "used_memory_rss" && N.Rss < 0))
      N.Rss = Number;
    else if (Key == "nu_proclets_here")
      N.Proclets = static_cast<long>(Number);
    else if (Key == "nu_migrations")
      N.Migrations = static_cast<long>(Number);
    else if (Key == "nu_migrated_bytes")
      N.MigratedBytes = Number;
    else if (Key == "nu_mem_limit")
      N.MemLimit = Number;
    else if (Key == "db0" && Value.rfind("keys=", 0) == 0)
      N.Keys = std::strtol(Value.c_str() + 5, nullptr, 10);
  }
  return N;
}

NodeMonitor::NodeMonitor(const std::vector<Address> &Servers, int TimeoutMs) {
  for (const Address &A : Servers) {
    Conns.push_back(std::make_unique<Connection>());
    Conns.back()->open(A, TimeoutMs);
  }
}

std::vector<NodeStats> NodeMonitor::query() {
  std::vector<NodeStats> Out;
  for (auto &C : Conns)
    Out.push_back(parseInfo(C->call({"INFO"}).Text));
  return Out;
}

std::string progressLine(const Sample &S) {
  char Head[128];
  bool Whole = std::fabs(S.T - std::round(S.T)) < 0.05;
  std::snprintf(
      Head, sizeof Head, "t=%.*fs  ops/s %7s  p50 %5.2f ms  p99 %6.2f ms  |",
      Whole ? 0 : 1, S.T, withCommas(S.Latency.count() / S.Seconds).c_str(),
      ms(S.Latency.quantile(0.5)), ms(S.Latency.quantile(0.99)));
  return Head +
         (" node rss MiB" + column(S.Nodes,
                                   [](const NodeStats &N) {
                                     return N.Rss < 0 ? -1 : N.Rss / kMiB;
                                   })) +
         ("  proclets" + column(S.Nodes,
                                [](const NodeStats &N) {
                                  return static_cast<double>(N.Proclets);
                                })) +
         ("  migrations" + column(S.Nodes, [](const NodeStats &N) {
            return static_cast<double>(N.Migrations);
          }));
}

CsvWriter::CsvWriter(const std::string &Path, std::size_t Servers) {
  if (Path.empty())
    return;
  File = std::fopen(Path.c_str(), "w");
  if (File == nullptr)
    throw std::runtime_error("cannot write " + Path + ": " +
                             std::strerror(errno));
  std::fprintf(File, "t_s,ops_per_s,p50_ms,p99_ms,max_ms");
  for (const char *Name : {"rss_mib", "proclets", "migrations"})
    for (std::size_t I = 1; I <= Servers; ++I)
      std::fprintf(File, ",%s_%zu", Name, I);
  std::fprintf(File, ",p999_ms\n");
}

CsvWriter::~CsvWriter() {
  if (File != nullptr)
    std::fclose(File);
}

void CsvWriter::row(const Sample &S) {
  if (File == nullptr)
    return;
  std::fprintf(File, "%.3f,%.0f,%.3f,%.3f,%.3f", S.T,
               S.Latency.count() / S.Seconds, ms(S.Latency.quantile(0.5)),
               ms(S.Latency.quantile(0.99)), ms(S.Latency.max()));
  for (const NodeStats &N : S.Nodes)
    std::fprintf(File, ",%.1f", N.Rss < 0 ? -1 : N.Rss / kMiB);
  for (const NodeStats &N : S.Nodes)
    std::fprintf(File, ",%ld", N.Proclets);
  for (const NodeStats &N : S.Nodes)
    std::fprintf(File, ",%ld", N.Migrations);
  std::fprintf(File, ",%.3f\n", ms(S.Latency.quantile(0.999)));
  std::fflush(File);
}

void printSummary(const std::vector<Sample> &Samples, const Squeeze &Sq,
                  const Options &Opts) {
  if (Samples.empty())
    return;
  std::printf("\n%-19s %8s %10s %8s %8s %9s %8s\n", "phase", "seconds", "ops/s",
              "p50 ms", "p99 ms", "p99.9 ms", "max ms");
  std::vector<Phase> Phases = phases(Samples, Sq);
  if (!Sq.Done) // one phase: the whole run
    Phases.resize(3);
  for (const Phase &P : Phases)
    printPhase(P);
  printMigrations(Samples);
  if (!Sq.Done)
    return;
  std::printf("squeezed server %s: rss %s before the squeeze, %s at the "
              "end (%s set to %s)\n",
              Opts.SqueezeServer->text().c_str(), mib(Sq.RssBefore).c_str(),
              mib(Sq.RssAfter).c_str(), Opts.SqueezeParam.c_str(),
              mib(Sq.Limit).c_str());
  printNeeded(Sq, migratedBytes(Samples.back()));
}

} // namespace kvload
