// Proclet templates: each instantiation the unit uses is registered under
// a sanitized name; the template pattern and abstract classes are not.
// RUN: cd %S && %nuc -o %t.nu.cpp templates.cpp -- %flags
// RUN: FileCheck %s < %t.nu.cpp
// RUN: not grep -e "type = ::Shape;" -e "type = ::Shard;" %t.nu.cpp
#include <nu/nu.hpp>

#include <map>
#include <string>

template <class K, class V> class [[nu::proclet]] Shard {
public:
  void Put(K Key, V Val) { Data[Key] = Val; }

private:
  std::map<K, V> Data;
};

class [[nu::proclet]] Shape {
public:
  virtual ~Shape() = default;
  virtual int Area() const = 0;
};

class [[nu::proclet]] Square : public Shape {
public:
  Square() = default;
  int Area() const override { return Side * Side; }

private:
  int Side = 1;
};

void use() {
  auto A = nu::make_proclet<Shard<int, long>>();
  nu::Proclet<Shard<char, int>> B;
}

// CHECK-NOT: using type = ::Shard;
// CHECK-NOT: using type = ::Shape;
// CHECK:      /// Proclet Shard<char, int>, declared at templates.cpp:11:51.
// CHECK-NEXT: struct Shard_char_int_Spec {
// CHECK-NEXT:   using type = ::Shard<char, int>;
// CHECK-NEXT:   static constexpr std::string_view name = "Shard<char, int>";
// CHECK:        nu::codegen::method<type, static_cast<void (::Shard<char, int>::*)(
// CHECK-NEXT:       char, int)>(&::Shard<char, int>::Put)>(
// CHECK-NEXT:       0x{{[0-9a-f]+}}ULL, "void Shard<char, int>::Put(char, int)"),
// CHECK:      const bool Shard_char_int_Registered =
// CHECK:      struct Shard_int_long_Spec {
// CHECK-NEXT:   using type = ::Shard<int, long>;
// CHECK:      struct Square_Spec {
// CHECK:        "int Square::Area() const"
// CHECK-NOT: using type = ::Shape;
// CHECK-NOT: using type = ::Shard;
