// The generated file of a representative source compiles, warning-free,
// with clang and with the project's compiler, against the runtime's real
// nu/codegen.hpp (and its nu/nu.hpp, or the tests' stub when absent).
// RUN: cd %S && %nuc -o %t.nu.cpp compiles.cpp -- %flags
// RUN: %clangxx -c -o %t.clang.o -std=c++20 -Wall -Wextra -Werror -Wno-unknown-attributes -iquote %S %runtime_includes -isystem %inputs %t.nu.cpp
// RUN: %cxx -c -o %t.cxx.o -std=c++20 -Wall -Wextra -Werror -Wno-attributes -iquote %S %runtime_includes -isystem %inputs %t.nu.cpp
#include <nu/nu.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace geo {
struct Point {
  int X, Y;
};
inline namespace v1 {
struct Box {
  Point Lo, Hi;
  std::vector<std::string> Tags;
};
} // namespace v1
} // namespace geo

template <class T> struct Pair {
  T A, B;
};

namespace {
struct Stats {
  long Total = 0;
  std::atomic<int> Hits{0};
  std::mutex Mu;
};
} // namespace

namespace app {
class Base {
public:
  int Size() const { return Count; }
  void Clear() { Count = 0; }

private:
  int Count = 0;
};

class [[nu::proclet]] Shapes : public Base {
public:
  struct Entry {
    Pair<int> Range;
    std::string Note;
  };
  void Note(Entry E) { Notes.push_back(E); }
  void Add(const geo::Box &B) { Boxes[B.Tags.size()] = B; }
  void Add(geo::Point P, int Times) { Last = P, N += Times; }
  std::vector<geo::Point> All() const { return {Last}; }
  std::optional<geo::Box> Find(const std::string &Name) const {
    return Name.empty() ? std::nullopt : std::optional<geo::Box>();
  }

private:
  std::mutex Mu;
  std::condition_variable CV;
  std::atomic<long> N{0};
  std::map<std::size_t, geo::Box> Boxes;
  geo::Point Last{};
  std::unique_ptr<geo::Point> Origin;
  std::vector<Entry> Notes;
  [[nu::transient]] int *Cache = nullptr;
};
} // namespace app

template <class K, class V> class [[nu::proclet]] Shard {
public:
  void Put(K Key, V Val) { Data[Key] = Val; }
  V Get(const K &Key) const { return Data.at(Key); }

private:
  std::map<K, V> Data;
};

namespace {
class [[nu::proclet]] Hidden {
public:
  int Get() { return V; }

private:
  int V = 0;
  Stats S;
};
} // namespace

int main(int argc, char **argv) {
  return nu::main(argc, argv, [] {
    auto S = nu::make_proclet<app::Shapes>();
    auto K = nu::make_proclet<Shard<std::string, geo::Point>>();
    auto H = nu::make_proclet<Hidden>();
    S.Run(&app::Shapes::Size);
    K.Run(+[](Shard<std::string, geo::Point> &, geo::Box B) {
      return B.Lo.X;
    }, geo::Box{});
  });
}
