// The load generator's client threads, one per connection: populate every
// key, then random GETs and SETs, timing each request into a histogram.
#pragma once

#include "Histogram.hpp"
#include "Options.hpp"
#include "Resp.hpp"
#include "Router.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kvload {

class Workers {
public:
  /// Opens every connection (round robin over the servers); throws if a
  /// server is unreachable.
  explicit Workers(const Options &Opts);
  ~Workers();

  void startPopulate();
  void startLoad();
  /// Stops the threads (at their next batch) and joins them.
  void stop();
  /// True once every thread ended (populating is over) or one failed.
  bool done() const { return Running.load() == 0; }
  long populated() const { return Populated.load(); }
  /// The first failure of a thread, or empty.
  std::string error() const;
  /// The latencies since the previous call, merged over the threads.
  Histogram takeInterval();
  /// MOVED redirects followed so far (--cluster).
  long redirects() const;

private:
  struct Slot {
    std::unique_ptr<Connection> Conn; // without --cluster
    std::unique_ptr<Router> Routes;   // with it
    std::mutex Mu;
    Histogram Latency;
  };

  void start(void (Workers::*Body)(Slot &, std::size_t));
  void run(void (Workers::*Body)(Slot &, std::size_t), Slot &S,
           std::size_t Index);
  void populateBody(Slot &S, std::size_t Index);
  void loadBody(Slot &S, std::size_t Index);
  void exchange(Slot &S, const std::vector<std::string> &Commands,
                const std::vector<std::string> &Keys,
                std::vector<std::uint64_t> *Times);

  const Options &Opts;
  std::string Value;
  std::vector<std::unique_ptr<Slot>> Slots;
  std::vector<std::thread> Threads;
  std::atomic<bool> Stopping{false};
  std::atomic<int> Running{0};
  std::atomic<long> Populated{0};
  mutable std::mutex ErrorMu;
  std::string Error;
};

} // namespace kvload
