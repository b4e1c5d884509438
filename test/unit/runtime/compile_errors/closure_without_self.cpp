// A closure whose first parameter is not the proclet must not compile.
#include <nu/nu.hpp>

struct [[nu::proclet]] Acc {};

int f(nu::Proclet<Acc> p) {
  return p.Run(
      +[](int x) { return x; }, 1);
}
