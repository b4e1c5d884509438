// Proclet class templates: each instantiation the unit uses is checked;
// errors point at the template and name the instantiation.
// RUN: %nuc %s -- %flags -Xclang -verify -Xclang -verify-ignore-unexpected=note
// RUN: not %nuc %s -- %flags 2>&1 | FileCheck %s
#include <nu/nu.hpp>

#include <map>
#include <string>

template <class K, class V> class [[nu::proclet]] Shard {
public:
  void Put(K Key, V Val);                  // expected-error {{parameter 'Key' of public method 'Put' cannot cross a proclet boundary: 'int *' is a raw pointer}}
  V Get(const K &Key);                     // expected-error {{parameter 'Key' of public method 'Get' cannot cross a proclet boundary: 'int *' is a raw pointer}}
  int Size() const;
  int *Raw();                              // expected-error {{result of public method 'Raw'}}

private:
  std::map<K, V> Data;                     // expected-error {{field 'Data' of 'Shard<int *, int>' cannot be migrated with the proclet: 'int *' is a raw pointer (in 'std::map<int *, int>')}}
  long *Cursor;                            // expected-error {{field 'Cursor' of 'Shard' cannot be migrated}}
};

void use() {
  auto A = nu::make_proclet<Shard<std::string, int>>();  // fine
  auto B = nu::make_proclet<Shard<int, std::string>>();  // fine
  auto C = nu::make_proclet<Shard<int *, int>>();        // the errors above
  nu::Proclet<Shard<int *, int>> Again = C;              // reported once
}

// CHECK: templates.cpp:12:14: error: parameter 'Key' of public method 'Put' cannot cross a proclet boundary: 'int *' is a raw pointer [nu-boundary-types]
// CHECK: templates.cpp:25:12: note: in instantiation of proclet 'Shard<int *, int>' required here
