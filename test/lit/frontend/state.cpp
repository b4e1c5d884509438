// nu-state: fields of a proclet and of its bases must be migratable.
// RUN: %nuc %s -- %flags -Xclang -verify -Xclang -verify-ignore-unexpected=note
// RUN: not %nuc %s -- %flags -fdiagnostics-parseable-fixits 2>&1 | FileCheck %s
#include <nu/nu.hpp>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

struct Bucket {
  std::mutex Mu; // re-created inside an aggregate too
  std::map<std::string, int> Items;
};

class [[nu::proclet]] Other {};

class [[nu::proclet]] Good {
public:
  int Get();

private:
  int A = 0;
  std::string B;
  std::vector<std::map<int, std::string>> C;
  std::unique_ptr<Bucket> D;
  std::mutex Mu;
  std::shared_mutex RW;
  std::condition_variable CV;
  std::atomic<long> Hits{0};
  int Fixed[8];
  nu::Proclet<Other> Peer;
  nu::WeakProclet<Other> WeakPeer;
  std::mt19937_64 Rng;                        // its textual state migrates
  std::normal_distribution<double> Noise;
  std::discard_block_engine<std::ranlux24_base, 223, 23> Ranlux;
  [[nu::transient]] int *Cache = nullptr;
  [[nu::transient]] std::function<void()> Callback;
  [[nu::transient]] std::thread Worker;
};

struct BadBase {
  int *Raw; // expected-error {{field 'Raw' of 'BadBase' cannot be migrated with the proclet: 'int *' is a raw pointer}}
};

class [[nu::proclet]] Bad : public BadBase {
public:
  explicit Bad(int &R);
  int Get();

private:
  int &Ref;                                  // expected-error {{field 'Ref' of 'Bad' cannot be migrated with the proclet: 'int &' is a reference}}
  const char *Name;                          // expected-error {{'const char *' is a raw pointer}}
  std::function<void()> Callback;            // expected-error {{'std::function<void ()>' cannot be serialized}}
  std::thread Worker;                        // expected-error {{'std::thread' cannot be serialized}}
  std::random_device Device;                 // expected-error {{'std::random_device' cannot be serialized}}
  std::ofstream Log;                         // expected-error {{'std::ofstream' cannot be serialized}}
  std::vector<Other *> Peers;                // expected-error {{'Other *' is a raw pointer (in 'std::vector<Other *>')}}
  std::atomic<int *> AtomicPtr;              // expected-error {{'int *' is a raw pointer (in 'std::atomic<int *>')}}
  Other Embedded;                            // expected-error {{'Other' cannot be serialized}}
  const int Limit = 3;                       // expected-error {{field 'Limit' of 'Bad' is const: a migrated proclet's fields are loaded after it is created; drop 'const' (a private field stays read-only), or make it 'static constexpr'}}
  const std::string Names[2];                // expected-error {{field 'Names' of 'Bad' is const}}
  static constexpr int Max = 9;              // fine: not state
};

class Shape {
public:
  virtual ~Shape() = default;
  virtual double Area() const = 0;
};

class [[nu::proclet]] Square : public Shape { // expected-error {{polymorphic proclet 'Square' needs a public default constructor: a migrated proclet is created with it, then its fields are loaded}}
public:
  explicit Square(double Side) : Side(Side) {}
  double Area() const override { return Side * Side; }

private:
  double Side;
};

class [[nu::proclet]] Circle : public Shape { // fine: it has one
public:
  Circle() = default;
  explicit Circle(double R) : R(R) {}
  double Area() const override { return 3.14 * R * R; }

private:
  double R = 0;
};

class [[nu::proclet]] Hidden : public Shape { // expected-error {{polymorphic proclet 'Hidden' needs a public default constructor}}
public:
  double Area() const override { return 0; }

private:
  Hidden() = default;
};

// CHECK: state.cpp:60:8: error: field 'Ref' of 'Bad' cannot be migrated with the proclet: 'int &' is a reference [nu-state]
// CHECK: state.cpp:60:3: note: if it can be re-created empty after a migration, mark it {{\[\[}}nu::transient]]
// CHECK: fix-it:"{{.*}}state.cpp":{60:3-60:3}:"{{\[\[}}nu::transient]] "
