// A source with a header found through a relative -I, for the depfile
// tests: the depfile must name both, with absolute paths.
#include <nu/nu.hpp>

#include "dep-header.hpp"

class [[nu::proclet]] Dep {
public:
  int Get() const { return V.N; }

private:
  Value V;
};
