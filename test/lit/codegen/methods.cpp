// Method table: one row per public method, own and inherited; each casts
// to the exact member pointer type (picking one overload, keeping const);
// ids hash the canonical signature over the decayed types.
// RUN: cd %S && %nuc -o %t.nu.cpp methods.cpp -- %flags
// RUN: FileCheck %s < %t.nu.cpp
#include <nu/nu.hpp>

#include <string>

struct Base {
  void Clear() {}
  int Size() const { return 0; }
};

using Name = std::string;

class [[nu::proclet]] M : public Base {
public:
  void Put(int K);
  void Put(const Name &K);
  long Len() const;
  Name Echo(Name &&S, double D);

private:
  void Hidden();
  int X = 0;
};

// CHECK:      static std::vector<nu::codegen::Method> methods() {
// CHECK-NEXT: return {
// CHECK-NEXT: nu::codegen::method<type, static_cast<void (::M::*)(int)>(&::M::Put)>(
// CHECK-NEXT: 0x{{[0-9a-f]+}}ULL, "void M::Put(int)"),
// CHECK-NEXT: nu::codegen::method<type, static_cast<void (::M::*)(const Name &)>(
// CHECK-NEXT: &::M::Put)>(
// CHECK-NEXT: 0x{{[0-9a-f]+}}ULL,
// CHECK-NEXT: "void M::Put(std::basic_string<char, std::char_traits<char>, std::allocator<char>>)"),
// CHECK-NEXT: nu::codegen::method<type,
// CHECK-NEXT: static_cast<long (::M::*)() const>(&::M::Len)>(
// CHECK-NEXT: 0x{{[0-9a-f]+}}ULL, "long M::Len() const"),
// CHECK-NEXT: nu::codegen::method<type, static_cast<Name (::M::*)(Name &&, double)>(
// CHECK-NEXT: &::M::Echo)>(
// CHECK-NEXT: 0x{{[0-9a-f]+}}ULL,
// CHECK-NEXT: "std::basic_string<char, std::char_traits<char>, std::allocator<char>> M::Echo(std::basic_string<char, std::char_traits<char>, std::allocator<char>>, double)"),
// CHECK-NEXT: nu::codegen::method<type,
// CHECK-NEXT: static_cast<void (::Base::*)()>(&::Base::Clear)>(
// CHECK-NEXT: 0x{{[0-9a-f]+}}ULL, "void M::Clear()"),
// CHECK-NEXT: nu::codegen::method<type, static_cast<int (::Base::*)() const>(
// CHECK-NEXT: &::Base::Size)>(0x{{[0-9a-f]+}}ULL,
// CHECK-NEXT: "int M::Size() const"),
// CHECK-NEXT: };
// CHECK-NEXT: }
// CHECK-NOT: Hidden
