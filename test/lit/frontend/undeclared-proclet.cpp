// nu-undeclared-proclet: only classes marked [[nu::proclet]] are proclets.
// RUN: %nuc %s -- %flags -Xclang -verify -Xclang -verify-ignore-unexpected=note
// RUN: not %nuc %s -- %flags -fdiagnostics-parseable-fixits 2>&1 | FileCheck %s
#include <nu/nu.hpp>

class [[nu::proclet]] Real {
public:
  int Get();
};
struct [[nu::proclet]] AlsoReal {};

class Plain {
public:
  int Get();
};
template <class T> class Box {};

nu::Proclet<Real> fine(nu::WeakProclet<AlsoReal> W) {
  auto A = nu::make_proclet<AlsoReal>();
  return nu::make_proclet<Real>();
}

void bad() {
  auto P = nu::make_proclet<Plain>();         // expected-error {{'make_proclet' needs a proclet class, but 'Plain' is not marked [[nu::proclet]]}}
  P.Run(&Plain::Get);                         // expected-error {{'Run' needs a proclet class, but 'Plain'}}
  nu::Proclet<Plain> Q;                       // expected-error {{'nu::Proclet<Plain>' needs a proclet class, but 'Plain'}}
  nu::WeakProclet<Box<int>> R;                // expected-error {{'nu::WeakProclet<Box<int>>' needs a proclet class, but 'Box<int>'}}
}

// CHECK: undeclared-proclet.cpp:24:12: error: 'make_proclet' needs a proclet class, but 'Plain' is not marked {{\[\[}}nu::proclet]] [nu-undeclared-proclet]
// CHECK: undeclared-proclet.cpp:12:7: note: add {{\[\[}}nu::proclet]] to the class
// CHECK: fix-it:"{{.*}}undeclared-proclet.cpp":{12:7-12:7}:"{{\[\[}}nu::proclet]] "
// CHECK: undeclared-proclet.cpp:16:26: note: add {{\[\[}}nu::proclet]] to the class template
