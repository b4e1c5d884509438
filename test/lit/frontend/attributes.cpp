// The nu:: attributes: recognised (no "unknown attribute" warning) and
// diagnosed where they do not belong.
// RUN: %nuc %s -- %flags -Wall -Xclang -verify
// RUN: not %nuc %s -- %flags 2>&1 | FileCheck %s

class [[nu::proclet]] A {
public:
  [[nu::transient]] int *Scratch;
};
struct [[nu::proclet]] B {};
template <class T> class [[nu::proclet]] C {};
[[nu::node_local]] int PerNode;

[[nu::proclet]] int NotAClass;          // expected-error {{'nu::proclet' attribute only applies to classes}}
[[nu::proclet]] void f();               // expected-error {{'nu::proclet' attribute only applies to classes}}
union [[nu::proclet]] U { int X; };     // expected-error {{'nu::proclet' attribute only applies to classes}}
[[nu::transient]] int NotAField;        // expected-error {{'nu::transient' attribute only applies to non-static data members}}
struct D { [[nu::transient]] static int S; }; // expected-error {{'nu::transient' attribute only applies to non-static data members}}
void g() {
  [[nu::node_local]] int Local = 0;     // expected-error {{'nu::node_local' attribute only applies to variables with static storage}}
  (void)Local;
}
void h() {
  class [[nu::proclet]] Local {};       // expected-error {{'nu::proclet' attribute only applies to classes outside function bodies}}
}

// CHECK: attributes.cpp:14:3: error: 'nu::proclet' attribute only applies to classes outside function bodies [nu-attributes]
// CHECK-NOT: unknown attribute
