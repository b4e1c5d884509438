// A valid proclet for the tool tests.
#include <nu/nu.hpp>

class [[nu::proclet]] Ok {
public:
  int Get() const { return V; }

private:
  int V = 0;
};
