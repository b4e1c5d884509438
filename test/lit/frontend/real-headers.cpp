// With the real runtime headers, nuc's diagnostics are the ones a user sees:
// the headers leave the rules to nuc (no static_assert of theirs fires for a
// capturing closure, to Run or to a ShardedMap operation), every violation
// comes in one run, and calls through const handles compile.
// RUN: %nuc %s -- -std=c++20 -ferror-limit=0 %runtime_includes -Xclang -verify -Xclang -verify-ignore-unexpected=note
// RUN: not %nuc %s -- -std=c++20 %runtime_includes 2>&1 | FileCheck %s --implicit-check-not="static assertion"
#include <nu/nu.hpp>
#include <nu/sharded_map.hpp>

#include <string>

class [[nu::proclet]] Box {
public:
  long Get() { return V; }
  void Add(long N) { V += N; }
  int *Leak() { return &V2; } // expected-error {{result of public method 'Leak' cannot cross a proclet boundary}}

private:
  long V = 0;
  int V2 = 0;
};

long constHandles(const nu::Proclet<Box> P, const nu::WeakProclet<Box> &W,
                  const nu::ShardedMap<int, std::string> &M) {
  auto Async = P.RunAsync(&Box::Get);
  long Sum = P.Run(&Box::Get) + W.Run(&Box::Get) + Async.get();
  Sum += P.Run(+[](Box &B) { return B.Get(); });
  return Sum + static_cast<long>(M.Size()) + (M.Get(1) ? 1 : 0);
}

long capturing(nu::Proclet<Box> P, long X) {
  P.Run([X](Box &B) { B.Add(X); });              // expected-error {{closure passed to 'Run' captures 'X'}}
  long R = P.Run([&](Box &B) { return B.Get(); }); // expected-error {{has a default capture '&'}}
  auto F = P.RunAsync([=](Box &B) { return B.Get() + X; }); // expected-error {{closure passed to 'RunAsync' has a default capture '='}}
  return R + F.get();
}

long mapCaptures(nu::ShardedMap<int, std::string> M, long X) {
  M.Apply(1, [X](std::optional<std::string> &V) { return X; });  // expected-error {{closure passed to 'Apply' captures 'X'}}
  M.ForEach([&](const int &, std::string &) {});                  // expected-error {{closure passed to 'ForEach' has a default capture '&'}}
  return M.Reduce(
      0L, [X](long &A, const int &, const std::string &) { A += X; }, // expected-error {{closure passed to 'Reduce' captures 'X'}}
      [X](long A, long B) { return A + B + X; }); // runs here: fine
}

// CHECK: real-headers.cpp:16:{{[0-9]+}}: error: {{.*}} [nu-boundary-types]
// CHECK: real-headers.cpp:32:{{[0-9]+}}: error: closure passed to 'Run' captures 'X'; pass it as an argument instead [nu-closure-captures]
