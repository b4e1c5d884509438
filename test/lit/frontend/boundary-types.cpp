// nu-boundary-types: public methods, closures and make_proclet arguments.
// RUN: %nuc %s -- %flags -Xclang -verify -Xclang -verify-ignore-unexpected=note
// RUN: not %nuc %s -- %flags -fdiagnostics-parseable-fixits 2>&1 | FileCheck %s
#include <nu/nu.hpp>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

struct Point { int X, Y; };                  // aggregate: codegen serializes it
struct Pair { Point A; std::string Name; };  // nested aggregate
struct Holder { int *P; };                   // aggregate with a pointer
class Opaque {                               // no serialize, not an aggregate
public:
  Opaque();
private:
  int V;
};
class WithSerialize {
public:
  WithSerialize();
  template <class Archive> void serialize(Archive &Ar) { Ar(V); }
private:
  int V;
};
class [[nu::proclet]] Other {};

class [[nu::proclet]] Store {
public:
  // Fine: values, const references, rvalue references, containers, handles.
  void ByValue(int A, double B, std::string C, Point D, Pair E);
  void ByConstRef(const std::string &S, const std::vector<Point> &V);
  void ByRValue(std::string &&S);
  void Containers(std::map<int, std::vector<std::string>> M,
                  std::optional<int> O, std::variant<int, std::string> V,
                  std::tuple<int, Point> T, std::array<int, 3> A);
  void Owners(std::unique_ptr<Point> U, std::shared_ptr<std::string> S);
  void Handles(nu::Proclet<Other> P, nu::WeakProclet<Other> W);
  void Custom(WithSerialize W);
  std::vector<Point> Result();
  const std::string &ConstRefResult();
  void NoResult();

  // Rejected.
  void RawPointer(int *P);                // expected-error {{parameter 'P' of public method 'RawPointer' cannot cross a proclet boundary: 'int *' is a raw pointer}}
  void CString(const char *S);            // expected-error {{'const char *' is a raw pointer}}
  // CHECK: boundary-types.cpp:[[@LINE-1]]:28: error: parameter 'S' of public method 'CString' cannot cross a proclet boundary: 'const char *' is a raw pointer [nu-boundary-types]
  // CHECK: fix-it:"{{.*}}boundary-types.cpp":{[[@LINE-2]]:22-[[@LINE-2]]:28}:"std::string"
  void Array(int A[4]);                   // expected-error {{array 'int[4]' decays to a pointer}}
  void OutParam(std::string &S);          // expected-error {{'std::string &' is a non-const lvalue reference}}
  // CHECK: boundary-types.cpp:[[@LINE-1]]:30: error: {{.*}}'std::string &' is a non-const lvalue reference [nu-boundary-types]
  // CHECK: fix-it:"{{.*}}boundary-types.cpp":{[[@LINE-2]]:17-[[@LINE-2]]:17}:"const "
  void MemberPtr(int Point::*M);          // expected-error {{'int Point::*' is a pointer to member}}
  void View(std::string_view V);          // expected-error {{'std::string_view' is a non-owning view}}
  void Span(std::span<int> S);            // expected-error {{'std::span<int>' is a non-owning view}}
  void RefWrap(std::reference_wrapper<int> R); // expected-error {{is a non-owning view}}
  void Function(std::function<void()> F); // expected-error {{'std::function<void ()>' cannot be serialized}}
  void Mutex(const std::mutex &M);        // expected-error {{'std::mutex' cannot be serialized}}
  void NotSerializable(Opaque O);         // expected-error {{'Opaque' cannot be serialized}}
  // CHECK: error: parameter 'O' of public method 'NotSerializable' {{.*}} [nu-boundary-types]
  // CHECK: boundary-types.cpp:22:7: note: add 'template <class Archive> void serialize(Archive &)' to 'Opaque', or make it an aggregate
  void Nested(std::vector<int *> V);      // expected-error {{'int *' is a raw pointer (in 'std::vector<int *>')}}
  void AggregateWithPointer(Holder H);    // expected-error {{'int *' is a raw pointer (in 'Holder')}}
  // CHECK: error: {{.*}}'AggregateWithPointer'{{.*}}'int *' is a raw pointer (in 'Holder')
  // CHECK: boundary-types.cpp:21:22: note: 'Holder' cannot be serialized because of this member
  void ProcletByValue(const Other &O);    // expected-error {{'Other' cannot be serialized}}
  void Unnamed(int *);                    // expected-error {{parameter 1 of public method 'Unnamed'}}
  int *PointerResult();                   // expected-error {{result of public method 'PointerResult' cannot cross a proclet boundary: 'int *' is a raw pointer}}
  std::string &EscapingState();           // expected-error {{'std::string &' is a reference into the proclet's state}}

private:
  // Private methods are not an interface.
  void Helper(int *P, std::string &S);
};

class [[nu::proclet]] Base2 {};
struct Mixin {
  void Inherited(char *P); // expected-error {{parameter 'P' of public method 'Inherited'}}
};
class [[nu::proclet]] Derived : public Mixin {};

int shipped(Store &S, std::string_view V); // expected-error {{parameter 'V' of closure passed to 'Run' cannot cross a proclet boundary: 'std::string_view' is a non-owning view}}

void closures(nu::Proclet<Store> P, int X) {
  P.Run(+[](Store &S, int N, const std::string &T) { return N; }, 1, "x");
  P.Run(+[](Store &S, int *Q) { return 0; }, &X);     // expected-error {{parameter 'Q' of closure passed to 'Run' cannot cross a proclet boundary: 'int *' is a raw pointer}}
  P.RunAsync(+[](Store &S) -> int * { return nullptr; }); // expected-error {{result of closure passed to 'RunAsync' cannot cross a proclet boundary}}
  P.Run(shipped, std::string_view("x"));
  P.Run([](Store &S, auto V) { return 0; }, &X);      // expected-error {{argument 1 of closure passed to 'Run' cannot cross a proclet boundary: 'int *' is a raw pointer}}
  P.Run(&Store::ByValue, 1, 2.0, "c", Point{}, Pair{});
  P.Run([](Store &S, auto Text) { return 0; }, "a literal"); // as std::string
}

void creations() {
  int X = 0;
  auto A = nu::make_proclet<Other>();
  auto B = nu::make_proclet<Store>(nu::ProcletOptions{}, 1, std::string("ok"));
  auto C = nu::make_proclet<Store>("literal"); // travels as std::string
  const char *Name = "name";
  auto E = nu::make_proclet<Store>(Name);      // expected-error {{argument 1 of 'make_proclet<Store>' cannot cross a proclet boundary: 'const char *' is a raw pointer}}
  auto F = nu::make_proclet<Store>(u8"text");  // expected-error {{argument 1 of 'make_proclet<Store>' cannot cross a proclet boundary: array 'const char8_t[5]' decays to a pointer}}
  auto D = nu::make_proclet<Store>(&X);        // expected-error {{argument 1 of 'make_proclet<Store>' cannot cross a proclet boundary: 'int *' is a raw pointer}}
}

