// nu-kvstore-load: drives RESP servers (nu-kvstore or redis-server) with a
// GET/SET load, squeezes one server's memory mid-run and reports per phase.
#include "Options.hpp"
#include "Report.hpp"
#include "Resp.hpp"
#include "Workers.hpp"

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <utility>

using namespace kvload;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point Start) {
  return std::chrono::duration<double>(Clock::now() - Start).count();
}

/// Sleeps until \p Until, or until the workers failed or ended.
void sleepUntil(Clock::time_point Until, const Workers &W) {
  while (Clock::now() < Until && W.done() == false && W.error().empty())
    std::this_thread::sleep_for(std::min<Clock::duration>(
        Until - Clock::now(), std::chrono::milliseconds(20)));
}

void throwIfFailed(const Workers &W) {
  if (std::string E = W.error(); !E.empty())
    throw std::runtime_error(E);
}

void populate(const Options &O, Workers &W) {
  auto Start = Clock::now();
  W.startPopulate();
  for (int Tick = 1; !W.done(); ++Tick) {
    sleepUntil(Start + Tick * std::chrono::milliseconds(O.IntervalMs), W);
    throwIfFailed(W);
    if (W.done())
      break;
    std::printf("populate: %s/%s keys (%.0f%%)\n",
                withCommas(W.populated()).c_str(), withCommas(O.Keys).c_str(),
                100.0 * W.populated() / O.Keys);
  }
  W.stop();
  throwIfFailed(W);
  double Seconds = since(Start);
  std::printf("populate: %s keys of %d bytes in %.1f s (%s keys/s)\n",
              withCommas(O.Keys).c_str(), O.ValueSize, Seconds,
              withCommas(O.Keys / Seconds).c_str());
}

/// "NN%" of \p Rss, "NNkb"/"NNmb"/"NNgb" (powers of 1024) or bytes.
double sizeOf(const std::string &Text, double Rss) {
  char *End = nullptr;
  double Value = std::strtod(Text.c_str(), &End);
  std::string Unit = End;
  for (char &C : Unit)
    C = static_cast<char>(std::tolower(static_cast<unsigned char>(C)));
  if (Unit == "%" && Rss < 0)
    throw std::runtime_error("--squeeze-to " + Text +
                             ": the server's INFO has no rss");
  if (Unit == "%")
    return std::floor(Value / 100 * Rss);
  for (auto [Suffix, Scale] : {std::pair{"", 1.0},
                               {"b", 1.0},
                               {"kb", 1024.0},
                               {"k", 1024.0},
                               {"mb", 1048576.0},
                               {"m", 1048576.0},
                               {"gb", 1073741824.0},
                               {"g", 1073741824.0}})
    if (Unit == Suffix)
      return std::floor(Value * Scale);
  throw std::runtime_error("--squeeze-to " + Text + ": not a size");
}

double rssOf(Connection &C) { return parseInfo(C.call({"INFO"}).Text).Rss; }

void squeeze(const Options &O, double T, Squeeze &Sq) {
  Connection C;
  C.open(*O.SqueezeServer, O.TimeoutMs);
  Sq.RssBefore = rssOf(C);
  Sq.Limit = sizeOf(O.SqueezeTo, Sq.RssBefore);
  std::string Bytes = std::to_string(static_cast<long long>(Sq.Limit));
  C.call({"CONFIG", "SET", O.SqueezeParam, Bytes});
  Sq.Done = true;
  Sq.At = T;
  std::printf("t=%.0fs  squeeze: CONFIG SET %s %s (%.1f MiB) on %s, whose "
              "rss is %.1f MiB\n",
              T, O.SqueezeParam.c_str(), Bytes.c_str(), Sq.Limit / 1048576,
              O.SqueezeServer->text().c_str(), Sq.RssBefore / 1048576);
}

Sample collect(Workers &W, NodeMonitor &M, double T, double Previous) {
  Sample S;
  S.T = T;
  S.Seconds = T - Previous;
  S.Latency = W.takeInterval();
  S.Nodes = M.query();
  return S;
}

std::vector<Sample> load(const Options &O, Workers &W, NodeMonitor &M,
                         Squeeze &Sq) {
  CsvWriter Csv(O.Csv, O.Servers.size());
  std::vector<Sample> Samples;
  auto Start = Clock::now();
  auto End = Start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(O.Duration));
  W.startLoad();
  for (int Tick = 1;; ++Tick) {
    auto Next =
        std::min(End, Start + Tick * std::chrono::milliseconds(O.IntervalMs));
    sleepUntil(Next, W);
    throwIfFailed(W);
    Samples.push_back(
        collect(W, M, since(Start), Samples.empty() ? 0 : Samples.back().T));
    std::printf("%s\n", progressLine(Samples.back()).c_str());
    Csv.row(Samples.back());
    if (Next == End)
      break;
    if (O.SqueezeAt >= 0 && !Sq.Done && Samples.back().T >= O.SqueezeAt - 0.05)
      squeeze(O, Samples.back().T, Sq);
  }
  W.stop();
  throwIfFailed(W);
  return Samples;
}

int run(const Options &O) {
  NodeMonitor Monitor(O.Servers, O.TimeoutMs);
  Monitor.query();
  Workers W(O);
  if (O.Populate)
    populate(O, W);
  if (O.Duration <= 0)
    return 0;
  Squeeze Sq;
  std::vector<Sample> Samples = load(O, W, Monitor, Sq);
  if (Sq.Done) {
    Connection C;
    C.open(*O.SqueezeServer, O.TimeoutMs);
    Sq.RssAfter = rssOf(C);
  }
  printSummary(Samples, Sq, O);
  if (O.Cluster)
    std::printf("cluster clients: %s MOVED redirects followed (a shard had "
                "moved since they read CLUSTER SLOTS)\n",
                withCommas(W.redirects()).c_str());
  return 0;
}

} // namespace

int main(int Argc, char **Argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options O = parseOptions(Argc, Argv);
  try {
    return run(O);
  } catch (const std::exception &E) {
    std::fflush(stdout);
    std::fprintf(stderr, "nu-kvstore-load: %s\n", E.what());
    return 1;
  }
}
