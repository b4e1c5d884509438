// nu-hidden-sharing (a warning): mutable globals and statics used by code
// running inside a proclet stay behind when the proclet migrates.
// RUN: %nuc %s -- %flags -Xclang -verify -Xclang -verify-ignore-unexpected=note
// RUN: %nuc %s -- %flags -fdiagnostics-parseable-fixits 2>&1 | FileCheck %s
#include <nu/nu.hpp>

#include <iostream>
#include <string>

int Counter;                                // mutable global
const int Limit = 10;                       // const: fine
constexpr double Ratio = 0.5;               // constexpr: fine
thread_local int PerThread;
[[nu::node_local]] int RequestsOnThisNode;  // deliberate: silenced
namespace config { std::string Name; }

class [[nu::proclet]] Worker {
public:
  int Work() {
    ++Counter;                              // expected-warning {{proclet method 'Worker::Work' uses global variable 'Counter', which is not migrated with the proclet}}
    Counter += Limit + static_cast<int>(Ratio); // one warning per variable and method
    ++RequestsOnThisNode;
    std::cout << "work\n";                  // the standard streams are per node
    return Instances;                       // expected-warning {{uses static data member 'Instances'}}
  }
  int Next() {
    static int Seq = 0;
    return ++Seq + PerThread;               // expected-warning {{uses function-local static 'Seq'}} expected-warning {{uses thread_local variable 'PerThread'}}
  }
  std::string Label() const;
  int Local() {
    int L = 0;                              // locals are state of the call: fine
    auto F = [] { return config::Name.size(); }; // expected-warning {{proclet method 'Worker::Local' uses global variable 'Name'}}
    return L + static_cast<int>(F());
  }

private:
  static int Instances;
};

std::string Worker::Label() const { return config::Name; } // expected-warning {{proclet method 'Worker::Label' uses global variable 'Name'}}

void caller(nu::Proclet<Worker> W) {
  ++Counter; // not inside a proclet: fine
  W.Run(+[](Worker &X) { return X.Work() + Counter; }); // expected-warning {{closure passed to 'Run' uses global variable 'Counter'}}
}

// CHECK: hidden-sharing.cpp:20:7: warning: proclet method 'Worker::Work' uses global variable 'Counter', which is not migrated with the proclet [nu-hidden-sharing]
// CHECK: hidden-sharing.cpp:10:5: note: declared here; if one copy per node is intended, mark it {{\[\[}}nu::node_local]]
// CHECK: fix-it:"{{.*}}hidden-sharing.cpp":{10:1-10:1}:"{{\[\[}}nu::node_local]] "
