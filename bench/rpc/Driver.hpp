// Shared plumbing of the RPC benchmark programs: flags, server readiness and
// shutdown, the timed client loops and the one RESULT line they print.
#pragma once

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace rpcbench {

using Clock = std::chrono::steady_clock;

constexpr auto kWarmup = std::chrono::milliseconds(300);

struct ClientOptions {
  int inflight = 1;
  double seconds = 2.0;
};

// "server --port P" or "client --port P [--inflight N] [--seconds S]".
struct Options {
  bool server = false;
  int port = -1;
  ClientOptions client;
};

// ---- Flags ----------------------------------------------------------------

inline bool parse_int(std::string_view text, int &out, int low, int high) {
  int value = 0;
  const char *end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || value < low || value > high)
    return false;
  out = value;
  return true;
}

inline bool parse_seconds(std::string_view text, double &out) {
  double value = 0;
  const char *end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || !(value > 0 && value <= 3600))
    return false;
  out = value;
  return true;
}

// Applies one client flag and its value; false if unknown or malformed.
inline bool apply_client_flag(std::string_view flag, std::string_view value,
                              ClientOptions &out) {
  if (flag == "--inflight")
    return parse_int(value, out.inflight, 1, 4096);
  if (flag == "--seconds")
    return parse_seconds(value, out.seconds);
  return false;
}

// Parses "--inflight N --seconds S" (either optional) from argv[first..];
// nu's client takes them after its runtime flags and "--".
inline std::optional<ClientOptions> parse_client_flags(int argc, char **argv,
                                                       int first) {
  ClientOptions out;
  for (int i = first; i < argc; i += 2) {
    if (i + 1 >= argc || !apply_client_flag(argv[i], argv[i + 1], out))
      return std::nullopt;
  }
  return out;
}

// Parses a peer's command line (see Options); nullopt on any bad flag.
inline std::optional<Options> parse_options(int argc, char **argv) {
  if (argc < 2)
    return std::nullopt;
  std::string_view role = argv[1];
  if (role != "server" && role != "client")
    return std::nullopt;
  Options out;
  out.server = role == "server";
  for (int i = 2; i < argc; i += 2) {
    if (i + 1 >= argc)
      return std::nullopt;
    std::string_view flag = argv[i], value = argv[i + 1];
    if (flag == "--port") {
      if (!parse_int(value, out.port, 0, 65535))
        return std::nullopt;
      continue;
    }
    if (out.server || !apply_client_flag(flag, value, out.client))
      return std::nullopt;
  }
  if (out.port < 0 || (!out.server && out.port == 0))
    return std::nullopt;
  return out;
}

inline int usage(const char *program) {
  std::fprintf(stderr,
               "usage: %s server --port P       (P = 0: any free port)\n"
               "       %s client --port P [--inflight N] [--seconds S]\n",
               program, program);
  return 2;
}

// ---- Servers --------------------------------------------------------------

inline sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Blocks SIGTERM and SIGINT here and in every thread started later, so that
// wait_for_shutdown() receives them. Call first thing in a server's main.
inline void block_stop_signals() {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Tells the runner the server listens, on which port.
inline void announce_ready(int port) {
  std::printf("READY %d\n", port);
  std::fflush(stdout);
}

// Returns once stdin is closed or SIGTERM/SIGINT arrives.
inline void wait_for_shutdown() {
  std::thread([] {
    char buffer[256];
    for (;;) {
      ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n == 0 || (n < 0 && errno != EINTR))
        break;
    }
    ::kill(::getpid(), SIGTERM);
  }).detach();
  sigset_t set = stop_signals();
  int received = 0;
  sigwait(&set, &received);
}

// Connection threads are still blocked in their sockets: leave without
// running destructors under them.
[[noreturn]] inline void exit_server() {
  std::fflush(nullptr);
  std::_Exit(0);
}

// ---- Clients --------------------------------------------------------------

using Samples = std::vector<std::int64_t>; // latencies, ns

// Calls that start after the warm-up and end before the stop time count.
struct Window {
  Clock::time_point begin, end;

  static Window starting_now(const ClientOptions &options) {
    Window window;
    window.begin = Clock::now() + kWarmup;
    window.end =
        window.begin + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(options.seconds));
    return window;
  }
  bool over(Clock::time_point now) const { return now >= end; }
  void record(Samples &samples, Clock::time_point start,
              Clock::time_point stop) const {
    if (start < begin || stop > end)
      return;
    samples.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start)
            .count());
  }
};

// The first error of any client thread; the others stop at their next call.
class Failure {
public:
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void guard(const std::function<void()> &body) {
    try {
      body();
    } catch (const std::exception &error) {
      set(error.what());
    }
  }
  int report() const {
    std::fprintf(stderr, "error: %s\n", message_.c_str());
    return 1;
  }

private:
  void set(const std::string &message) {
    std::lock_guard lock(mutex_);
    if (!failed())
      message_ = message;
    failed_.store(true, std::memory_order_relaxed);
  }
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::string message_;
};

inline double percentile_us(const Samples &sorted, int percent) {
  std::size_t index = (sorted.size() - 1) * percent / 100;
  return static_cast<double>(sorted[index]) / 1000.0;
}

// Prints "RESULT <system> inflight=N calls_per_s=X p50_us=Y p99_us=Z" from
// all threads' samples; returns main's exit code.
inline int report(std::string_view system, const ClientOptions &options,
                  const std::vector<Samples> &per_thread) {
  Samples all;
  for (const Samples &samples : per_thread)
    all.insert(all.end(), samples.begin(), samples.end());
  if (all.empty()) {
    std::fprintf(stderr, "error: no call completed in the window\n");
    return 1;
  }
  std::sort(all.begin(), all.end());
  std::printf("RESULT %.*s inflight=%d calls_per_s=%.1f p50_us=%.2f "
              "p99_us=%.2f\n",
              static_cast<int>(system.size()), system.data(), options.inflight,
              static_cast<double>(all.size()) / options.seconds,
              percentile_us(all, 50), percentile_us(all, 99));
  std::fflush(stdout);
  return 0;
}

// One blocking call; throws on failure or a wrong result.
using Call = std::function<void()>;

inline void call_loop(const Call &call, const Window &window, Samples &out,
                      const Failure &failure) {
  while (!failure.failed()) {
    Clock::time_point start = Clock::now();
    call();
    Clock::time_point stop = Clock::now();
    window.record(out, start, stop);
    if (window.over(stop))
      return;
  }
}

// One thread per call in flight, each making blocking calls through its own
// Call, made beforehand by make_call(thread index) (e.g. on its own
// connection). Returns main's exit code.
inline int run_blocking(std::string_view system, const ClientOptions &options,
                        const std::function<Call(int)> &make_call) {
  std::vector<Call> calls;
  for (int i = 0; i < options.inflight; ++i)
    calls.push_back(make_call(i));
  std::vector<Samples> samples(options.inflight);
  Failure failure;
  Window window = Window::starting_now(options);
  std::vector<std::thread> threads;
  for (int i = 0; i < options.inflight; ++i)
    threads.emplace_back([&, i] {
      failure.guard([&] { call_loop(calls[i], window, samples[i], failure); });
    });
  for (std::thread &thread : threads)
    thread.join();
  if (failure.failed())
    return failure.report();
  return report(system, options, samples);
}

// Keeps options.inflight calls outstanding from this thread: start() sends
// one call, finish() completes the oldest (throwing on failure or a wrong
// result). Latency runs from start() to the end of its finish(). Returns
// main's exit code.
inline int run_pipelined(std::string_view system, const ClientOptions &options,
                         const std::function<void()> &start,
                         const std::function<void()> &finish) {
  Window window = Window::starting_now(options);
  std::deque<Clock::time_point> started;
  Samples samples;
  auto start_one = [&] {
    started.push_back(Clock::now());
    start();
  };
  for (int i = 0; i < options.inflight; ++i)
    start_one();
  while (!started.empty()) {
    finish();
    Clock::time_point stop = Clock::now();
    window.record(samples, started.front(), stop);
    started.pop_front();
    if (!window.over(stop))
      start_one();
  }
  return report(system, options, {samples});
}

// Runs a program's body, turning an escaping exception into exit code 1.
inline int guarded_main(const std::function<int()> &body) {
  try {
    return body();
  } catch (const std::exception &error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}

} // namespace rpcbench
