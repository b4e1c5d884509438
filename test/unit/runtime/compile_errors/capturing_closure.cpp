// A closure with captures must not compile (nuc reports it too).
#include <nu/nu.hpp>

struct [[nu::proclet]] Acc {
  int Get() { return 0; }
};

int f(nu::Proclet<Acc> p, int x) {
  return p.Run([x](Acc &a) { return a.Get() + x; });
}
