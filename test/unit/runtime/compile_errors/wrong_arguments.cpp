// Run with arguments that do not fit the method must not compile.
#include <nu/nu.hpp>

struct [[nu::proclet]] Acc {
  void Add(int) {}
};

void f(nu::Proclet<Acc> p) { p.Run(&Acc::Add, 10, 20); }
