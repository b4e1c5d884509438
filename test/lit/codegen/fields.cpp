// State: private fields of the class and of its bases are reached through
// Access (inherited ones as `&::Base::field`); values and atomics are
// saved, mutexes and [[nu::transient]] fields are only constructed.
// RUN: cd %S && %nuc -o %t.nu.cpp fields.cpp -- %flags
// RUN: FileCheck %s < %t.nu.cpp
#include <nu/nu.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace app {
class Base {
public:
  int Count() const { return Seen; }

protected:
  long Seen = 0;
};
} // namespace app

class [[nu::proclet]] P : public app::Base {
public:
  int Get() { return A; }

private:
  int A = 0;
  std::vector<std::string> V;
  std::mutex M;
  std::condition_variable CV;
  std::atomic<long> N{0};
  [[nu::transient]] int *T = nullptr;
};

// CHECK:      struct P_Seen {};
// CHECK-NEXT: struct P_A {};
// CHECK-NEXT: struct P_V {};
// CHECK-NEXT: struct P_M {};
// CHECK-NEXT: struct P_CV {};
// CHECK-NEXT: struct P_N {};
// CHECK-NEXT: struct P_T {};

// CHECK: template struct nu::codegen::Access<nu_generated::P_Seen, &::app::Base::Seen>;
// CHECK: template struct nu::codegen::Access<nu_generated::P_A, &::P::A>;
// CHECK: template struct nu::codegen::Access<nu_generated::P_T, &::P::T>;

// CHECK:      static void save(nu::codegen::OutArchive &ar, const type &self) {
// CHECK-NEXT:   nu::codegen::save_field(ar, self.*nu::codegen::member(P_Seen{}));
// CHECK-NEXT:   nu::codegen::save_field(ar, self.*nu::codegen::member(P_A{}));
// CHECK-NEXT:   nu::codegen::save_field(ar, self.*nu::codegen::member(P_V{}));
// CHECK-NEXT:   nu::codegen::save_field(ar, self.*nu::codegen::member(P_N{}));
// CHECK-NEXT: }
// CHECK:      static void load(nu::codegen::InArchive &ar, type &self) {
// CHECK-NEXT:   nu::codegen::load_field(ar, self.*nu::codegen::member(P_Seen{}));
// CHECK-NEXT:   nu::codegen::load_field(ar, self.*nu::codegen::member(P_A{}));
// CHECK-NEXT:   nu::codegen::load_field(ar, self.*nu::codegen::member(P_V{}));
// CHECK-NEXT:   nu::codegen::load_field(ar, self.*nu::codegen::member(P_N{}));
// CHECK-NEXT: }
// CHECK:      static void construct(type *self) {
// CHECK-NEXT:   nu::codegen::construct_field(self->*nu::codegen::member(P_Seen{}));
// CHECK-NEXT:   nu::codegen::construct_field(self->*nu::codegen::member(P_A{}));
// CHECK-NEXT:   nu::codegen::construct_field(self->*nu::codegen::member(P_V{}));
// CHECK-NEXT:   nu::codegen::construct_field(self->*nu::codegen::member(P_M{}));
// CHECK-NEXT:   nu::codegen::construct_field(self->*nu::codegen::member(P_CV{}));
// CHECK-NEXT:   nu::codegen::construct_field(self->*nu::codegen::member(P_N{}));
// CHECK-NEXT:   nu::codegen::construct_field(self->*nu::codegen::member(P_T{}));
// CHECK-NEXT: }
// CHECK:      static std::size_t estimate_size(const type &self) {
// CHECK-NEXT:   return sizeof(type) +
// CHECK-NEXT:          nu::codegen::heap_size(self.*nu::codegen::member(P_Seen{})) +
// CHECK-NEXT:          nu::codegen::heap_size(self.*nu::codegen::member(P_A{})) +
// CHECK-NEXT:          nu::codegen::heap_size(self.*nu::codegen::member(P_V{}));
// CHECK-NEXT: }
// CHECK:      return {
// CHECK-NEXT:   {"Seen", "long", nu::codegen::FieldKind::Value},
// CHECK-NEXT:   {"A", "int", nu::codegen::FieldKind::Value},
// CHECK-NEXT:   {"V", "std::vector<std::string>", nu::codegen::FieldKind::Value},
// CHECK-NEXT:   {"M", "std::mutex", nu::codegen::FieldKind::Recreated},
// CHECK-NEXT:   {"CV", "std::condition_variable", nu::codegen::FieldKind::Recreated},
// CHECK-NEXT:   {"N", "std::atomic<long>", nu::codegen::FieldKind::Atomic},
// CHECK-NEXT:   {"T", "int *", nu::codegen::FieldKind::Transient},
// CHECK-NEXT: };
