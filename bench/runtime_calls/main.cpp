// Cost of a proclet call: local Run vs a direct (non-inlined) call, and
// forced-remote Run (serialization + dispatch, in-memory transport).
// Prints a table; the ratios are the figures to compare across machines.
#include "Node.hpp"
#include "nu/net/memory_transport.hpp"

#include <nu/nu.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

class [[nu::proclet]] Target {
public:
  [[gnu::noinline]] int Get() { return value_; }
  [[gnu::noinline]] int Add(int n) { return value_ += n; }

private:
  int value_ = 1;
};

namespace {

using Clock = std::chrono::steady_clock;

/// Nanoseconds per call of \p fn, best of 5 rounds of \p n calls.
double per_call(long n, const std::function<void(long)> &fn) {
  double best = 1e300;
  for (int round = 0; round < 5; ++round) {
    auto start = Clock::now();
    fn(n);
    std::chrono::duration<double, std::nano> took = Clock::now() - start;
    best = std::min(best, took.count() / static_cast<double>(n));
  }
  return best;
}

template <class T> void keep(T &&value) {
  asm volatile("" : : "g"(&value) : "memory");
}

/// One remote call's work without a transport: encode the arguments, look
/// the method up, decode and dispatch, encode the result, decode it.
int serialized_call(Target &target, const nu::detail::ProcletType &type) {
  const nu::detail::MethodEntry *m =
      type.find_method(nu::detail::method_key(&Target::Add));
  nu::detail::Bytes request, reply;
  nu::detail::encode(request, {}, std::tuple<int>(1));
  nu::detail::Decoder in(request, {});
  nu::detail::OutArchive out(reply, {});
  m->dispatch(&target, in.archive(), out);
  int result = 0;
  nu::detail::Decoder(reply, {})(result);
  return result;
}

/// The floor under any cross-thread call: a round trip between two
/// threads over a mutex and condition variable (two wake-ups; an
/// in-memory remote call needs four: transport, worker, transport, caller).
double ping_pong(long n) {
  std::mutex mu;
  std::condition_variable cv;
  long turn = 0; // even: ping's turn, odd: pong's
  std::thread pong([&] {
    std::unique_lock lock(mu);
    for (long i = 0; i < n; ++i) {
      cv.wait(lock, [&] { return turn % 2 == 1; });
      ++turn;
      cv.notify_all();
    }
  });
  auto start = Clock::now();
  {
    std::unique_lock lock(mu);
    for (long i = 0; i < n; ++i) {
      ++turn;
      cv.notify_all();
      cv.wait(lock, [&] { return turn % 2 == 0; });
    }
  }
  std::chrono::duration<double, std::nano> took = Clock::now() - start;
  pong.join();
  return took.count() / static_cast<double>(n);
}

struct Row {
  const char *name;
  double ns;
};

void print(const Row *rows, int count, double base) {
  std::printf("%-44s %12s %10s\n", "call", "ns/call", "vs direct");
  for (int i = 0; i < count; ++i)
    std::printf("%-44s %12.1f %9.2fx\n", rows[i].name, rows[i].ns,
                rows[i].ns / base);
}

void goal(const char *what, double ratio) {
  std::printf("%-44s %9.2fx %s\n", what, ratio,
              ratio <= 1.5 ? "MET" : "MISSED");
}

nu::detail::Node::Options options(nu::NodeId id,
                                  std::shared_ptr<nu::net::MemoryHub> hub,
                                  std::optional<nu::NodeId> placement) {
  nu::detail::Node::Options o;
  o.id = id;
  o.workers = 1;
  o.transport_options.memory_hub = std::move(hub);
  o.default_placement = placement;
  return o;
}

} // namespace

int main() {
  Target direct;
  auto hub = std::make_shared<nu::net::MemoryHub>();
  nu::detail::Node b(options(2, hub, std::nullopt));
  nu::detail::Node a(options(1, hub, 2));
  a.add_peer(2, b.address());
  b.add_peer(1, a.address());
  nu::detail::NodeScope scope(&a);
  auto local = nu::make_proclet<Target>(nu::ProcletOptions{.node = 1});
  auto remote = nu::make_proclet<Target>();

  Row rows[] = {
      {"direct call (noinline)", per_call(20'000'000,
                                          [&](long n) {
                                            for (long i = 0; i < n; ++i)
                                              keep(direct.Get());
                                          })},
      {"direct call Add(1) (noinline)", per_call(20'000'000,
                                                 [&](long n) {
                                                   for (long i = 0; i < n; ++i)
                                                     keep(direct.Add(1));
                                                 })},
      {"local Run(&Target::Get)", per_call(20'000'000,
                                           [&](long n) {
                                             for (long i = 0; i < n; ++i)
                                               keep(local.Run(&Target::Get));
                                           })},
      {"local Run(&Target::Add, 1)", per_call(20'000'000,
                                              [&](long n) {
                                                for (long i = 0; i < n; ++i)
                                                  keep(local.Run(&Target::Add,
                                                                 1));
                                              })},
      {"local Run(closure)",
       per_call(20'000'000,
                [&](long n) {
                  for (long i = 0; i < n; ++i)
                    keep(local.Run(+[](Target &t) { return t.Get(); }));
                })},
      {"encode + dispatch + decode, no transport",
       per_call(2'000'000,
                [&](long n) {
                  const auto &type =
                      nu::detail::proclet_type(typeid(Target), "Target");
                  for (long i = 0; i < n; ++i)
                    keep(serialized_call(direct, type));
                })},
      {"remote Run(&Target::Add, 1), in-memory",
       per_call(20'000,
                [&](long n) {
                  for (long i = 0; i < n; ++i)
                    keep(remote.Run(&Target::Add, 1));
                })},
      {"remote Run(closure), in-memory",
       per_call(20'000,
                [&](long n) {
                  for (long i = 0; i < n; ++i)
                    keep(remote.Run(
                        +[](Target &t, int k) { return t.Add(k); }, 1));
                })},
      {"thread ping-pong round trip (cv), for scale",
       per_call(20'000, [&](long n) { keep(ping_pong(n)); })},
      {"remote RunAsync x64 then get, per call",
       per_call(640,
                [&](long n) {
                  for (long i = 0; i < n; i += 64) {
                    std::vector<nu::Future<int>> fs;
                    for (int j = 0; j < 64; ++j)
                      fs.push_back(remote.RunAsync(&Target::Add, 1));
                    for (auto &f : fs)
                      keep(f.get());
                  }
                })},
  };
  print(rows, static_cast<int>(std::size(rows)), rows[0].ns);
  std::printf("\ngoal: local Run <= 1.5x the direct call\n");
  goal("local Run(&Target::Get) / direct Get()", rows[2].ns / rows[0].ns);
  goal("local Run(&Target::Add, 1) / direct Add(1)", rows[3].ns / rows[1].ns);
  goal("local Run(closure) / direct Get()", rows[4].ns / rows[0].ns);
  return 0;
}
