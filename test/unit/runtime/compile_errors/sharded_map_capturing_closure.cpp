// ShardedMap::Apply with a capturing closure must not compile, and says
// what to write instead.
#include <nu/sharded_map.hpp>

#include <string>

int f(nu::ShardedMap<std::string, int> map, int x) {
  return map.Apply("k", [x](std::optional<int> &v) { return v.value_or(x); });
}
