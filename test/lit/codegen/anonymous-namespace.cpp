// A proclet in an anonymous namespace travels by a name qualified with its
// file, so same-named classes of two translation units stay distinct.
// RUN: cd %S && %nuc -o %t.nu.cpp anonymous-namespace.cpp -- %flags
// RUN: FileCheck %s < %t.nu.cpp
#include <nu/nu.hpp>

namespace {
class [[nu::proclet]] Local {
public:
  int Get() { return 1; }
};
} // namespace

// CHECK: using type = ::Local;
// CHECK: name = "Local (anonymous-namespace.cpp)";

// A type of an anonymous namespace inside a template argument is spelled
// with its enclosing namespaces (clang's qualifying printer drops them).
#include <optional>

namespace geo {
namespace {
struct Point {
  int X = 0;
};
class [[nu::proclet]] Map {
public:
  std::optional<Point> Where() { return Point{}; }
};
} // namespace
} // namespace geo

// CHECK: static_cast<std::optional<geo::Point> (
