// An aggregate declared in a function body cannot get a generated
// serializer (namespace-scope code cannot name it): it cannot cross a
// proclet boundary, and -o writes nothing.
// RUN: %nuc %s -- %flags -Xclang -verify -Xclang -verify-ignore-unexpected=note
// RUN: not %nuc %s -- %flags 2>&1 | FileCheck %s
// RUN: rm -f %t.nu.cpp
// RUN: not %nuc -o %t.nu.cpp %s -- %flags > /dev/null 2>&1
// RUN: not test -e %t.nu.cpp
#include <nu/nu.hpp>

class [[nu::proclet]] Sink {
public:
  int Get();
};

void use(nu::Proclet<Sink> P) {
  struct Pt { int X, Y; };
  P.Run(+[](Sink &, Pt A) { return A.X; }, Pt{1, 2}); // expected-error {{parameter 'A' of closure passed to 'Run' cannot cross a proclet boundary: 'Pt' is declared in a function body, where nuc cannot write its serializer}}
  struct WithOwn {
    int X;
    void serialize(int &Ar) { Ar = X; }
  };
  P.Run(+[](Sink &, WithOwn W) { return W.X; }, WithOwn{1}); // fine: its own
}

// CHECK: local-aggregate.cpp:18:24: error: parameter 'A' of closure passed to 'Run' cannot cross a proclet boundary: 'Pt' is declared in a function body, where nuc cannot write its serializer [nu-boundary-types]
// CHECK: local-aggregate.cpp:17:10: note: move 'Pt' out of the function (a class declared in a function body cannot have a member template such as 'serialize')
// CHECK: local-aggregate.cpp:[[@LINE+2]]:9: note: move 'Opaque' out of the function (a class declared in a function body cannot have a member template such as 'serialize'), then add 'template <class Archive> void serialize(Archive &)' or make it an aggregate
void more(nu::Proclet<Sink> P) {
  class Opaque {
  public:
    int X = 0;
  private:
    int Y = 0;
  };
  P.Run(+[](Sink &, Opaque O) { return O.X; }, Opaque{}); // expected-error {{parameter 'O' of closure passed to 'Run' cannot cross a proclet boundary: 'Opaque' cannot be serialized}}
}
