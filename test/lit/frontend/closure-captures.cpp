// nu-closure-captures: closures shipped to Run/RunAsync capture nothing.
// RUN: %nuc %s -- %flags -Xclang -verify -Xclang -verify-ignore-unexpected=note
// RUN: not %nuc %s -- %flags 2>&1 | FileCheck %s
#include <nu/nu.hpp>

#include <string>

class [[nu::proclet]] Counter {
public:
  int Get();
  void Add(int N);

  void Nested(nu::Proclet<Counter> Other) {
    Other.Run([this](Counter &C) { return C.Get(); }); // expected-error {{closure passed to 'Run' captures 'this'; pass it as an argument instead}}
    Other.Run([*this](Counter &C) { return 0; });      // expected-error {{closure passed to 'Run' captures '*this'}}
  }
};

int addOne(Counter &C, int N) { return N + 1; }

void fine(nu::Proclet<Counter> P, int X) {
  P.Run(+[](Counter &C) { return C.Get(); });
  P.Run([](Counter &C, int N) { C.Add(N); }, X); // capture-less, without +
  P.RunAsync(+[](Counter &C, std::string S) { return S.size(); }, "s");
  P.Run(addOne, 2);
  P.Run(&Counter::Add, X);
  auto Stored = +[](Counter &C) { return C.Get(); };
  P.Run(Stored);
  auto Local = [X] { return X; }; // not shipped: captures are fine here
  (void)Local;
}

void bad(nu::Proclet<Counter> P, int X, std::string Name) {
  P.Run([X](Counter &C) { C.Add(X); });                  // expected-error {{closure passed to 'Run' captures 'X'; pass it as an argument instead}}
  P.Run([&X](Counter &C) { C.Add(X); });                 // expected-error {{captures 'X'}}
  P.RunAsync([=](Counter &C) { return C.Get() + X; });   // expected-error {{closure passed to 'RunAsync' has a default capture '='; pass what it uses as arguments instead}}
  P.Run([&](Counter &C) { return Name.size(); });        // expected-error {{has a default capture '&'}}
  P.Run([Y = X + 1](Counter &C) { return Y; });          // expected-error {{captures 'Y'}}
  P.Run([X, &Name](Counter &C) { return 0; });           // expected-error {{captures 'X'}} expected-error {{captures 'Name'}}

  auto Through = [X](Counter &C) { C.Add(X); };          // expected-error {{closure passed to 'Run' captures 'X'}}
  P.Run(Through);
}

// CHECK: closure-captures.cpp:41:19: error: closure passed to 'Run' captures 'X'; pass it as an argument instead [nu-closure-captures]
// CHECK: closure-captures.cpp:42:9: note: passed to 'Run' here through 'Through'
