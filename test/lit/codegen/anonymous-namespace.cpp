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
