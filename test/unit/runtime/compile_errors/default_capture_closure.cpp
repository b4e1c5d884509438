// A closure with a default capture must not compile even when it captures
// nothing (it cannot be rebuilt where it runs); nuc reports it too.
#include <nu/nu.hpp>

struct [[nu::proclet]] Acc {
  int Get() { return 0; }
};

int f(const nu::Proclet<Acc> &p) {
  return p.Run([&](Acc &a) { return a.Get(); });
}
