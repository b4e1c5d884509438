// Clang-style output: file:line:col, severity, message, [check], caret.
// RUN: not %nuc %s -- %flags 2>&1 | FileCheck %s --strict-whitespace
#include <nu/nu.hpp>

class [[nu::proclet]] P {
public:
  void Set(int *V);
};

// CHECK:      format.cpp:7:17: error: parameter 'V' of public method 'Set' cannot cross a proclet boundary: 'int *' is a raw pointer [nu-boundary-types]
// CHECK-NEXT:   void Set(int *V);
// CHECK-NEXT: {{^}}                ^{{$}}
// CHECK:      1 error generated.
