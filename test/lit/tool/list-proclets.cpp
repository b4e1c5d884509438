// --list-proclets prints classes, constructors, methods, fields, creations
// and closure sites, deterministically.
// RUN: %nuc --list-proclets %s -- %flags > %t.1
// RUN: %nuc --list-proclets %s -- %flags > %t.2
// RUN: diff %t.1 %t.2
// RUN: FileCheck %s < %t.1
#include <nu/nu.hpp>

#include <map>
#include <mutex>
#include <string>

namespace kv {
struct Entry { std::string Value; long Version; };

class [[nu::proclet]] Shard {
public:
  explicit Shard(int Id);
  void Put(const std::string &K, Entry E);
  std::optional<Entry> Get(const std::string &K) const;

private:
  std::mutex Mu;
  std::map<std::string, Entry> Data;
  [[nu::transient]] long Hits = 0;
};
} // namespace kv

void use() {
  auto S = nu::make_proclet<kv::Shard>(3);
  S.Run(&kv::Shard::Put, std::string("k"), kv::Entry{"v", 1});
  S.RunAsync(+[](kv::Shard &Sh, int N) { return N * 2; }, 21);
}

// CHECK: # {{.*}}list-proclets.cpp
// CHECK-NEXT: proclet kv::Shard at {{.*}}list-proclets.cpp:16:23
// CHECK-NEXT:   constructor (int Id)
// CHECK-NEXT:   method void Put(const std::string & K, kv::Entry E)
// CHECK-NEXT:   method std::optional<kv::Entry> Get(const std::string & K) const
// CHECK-NEXT:   field std::mutex Mu [recreated]
// CHECK-NEXT:   field std::map<std::string, kv::Entry> Data
// CHECK-NEXT:   field long Hits [transient]
// CHECK-NEXT: make_proclet<kv::Shard> at {{.*}}list-proclets.cpp:30:12 (int)
// CHECK-NEXT: Run on kv::Shard at {{.*}}list-proclets.cpp:31:5: method kv::Shard::Put(const std::string &, kv::Entry) -> void
// CHECK-NEXT: RunAsync on kv::Shard at {{.*}}list-proclets.cpp:32:5: lambda(int) -> int
// CHECK-NEXT: aggregate kv::Entry at {{.*}}list-proclets.cpp:14:8 in namespace kv
// CHECK-NEXT:   field std::string Value
// CHECK-NEXT:   field long Version
