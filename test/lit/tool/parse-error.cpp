// A file that does not parse: clang's own errors, non-zero exit, no crash,
// and nuc's checks stay quiet on the broken AST.
// RUN: not %nuc %s -- %flags 2>&1 | FileCheck %s
// CHECK: parse-error.cpp:[[# @LINE + 4]]:{{[0-9]+}}: error: expected ';' after class
// CHECK-NOT: [nu-
#include <nu/nu.hpp>

class [[nu::proclet]] Broken { int *P; }
int main() { return undeclared_identifier; }
