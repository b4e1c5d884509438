// User aggregates that cross a boundary or are proclet state get a cereal
// `serialize` in their own namespace (anonymous and inline ones too), also
// when reached through fields and containers; types with their own
// serialize and types that never travel get none.
// RUN: cd %S && %nuc -o %t.nu.cpp aggregates.cpp -- %flags
// RUN: FileCheck %s < %t.nu.cpp
#include <nu/nu.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace geo {
struct Point { int X, Y; };
namespace {
struct Tag { std::string Label; };
} // namespace
inline namespace v1 {
struct Box { Point Lo, Hi; std::vector<Tag> Tags; };
} // namespace v1
struct Own {
  int V;
  template <class Archive> void serialize(Archive &Ar) { Ar(V); }
};
struct Local { int Unused; };
} // namespace geo

struct Stats {
  long Total;
  std::atomic<int> Hits;
  std::mutex Mu;
  [[nu::transient]] int *Scratch;
};

struct Row : geo::Point { double W; };

class [[nu::proclet]] Canvas {
public:
  void Draw(const std::map<int, geo::Box> &Boxes, geo::Own O);
  std::optional<Row> Find(int Id);

private:
  Stats S;
  geo::Local L; // state too: migrated
};

// CHECK:      namespace geo {
// CHECK-NEXT: template <class Archive> void serialize(Archive &ar, ::geo::Point &value) {
// CHECK-NEXT:   ar(value.X, value.Y);
// CHECK-NEXT: }
// CHECK-NEXT: } // namespace geo
// CHECK-NEXT: namespace geo {
// CHECK-NEXT: namespace {
// CHECK-NEXT: template <class Archive> void serialize(Archive &ar, ::geo::Tag &value) {
// CHECK-NEXT:   ar(value.Label);
// CHECK-NEXT: }
// CHECK-NEXT: } // namespace
// CHECK-NEXT: } // namespace geo
// CHECK-NEXT: namespace geo {
// CHECK-NEXT: inline namespace v1 {
// CHECK-NEXT: template <class Archive> void serialize(Archive &ar, ::geo::Box &value) {
// CHECK-NEXT:   ar(value.Lo, value.Hi, value.Tags);
// CHECK-NEXT: }
// CHECK-NEXT: } // namespace v1
// CHECK-NEXT: } // namespace geo
// CHECK-NEXT: namespace geo {
// CHECK-NEXT: template <class Archive> void serialize(Archive &ar, ::geo::Local &value) {
// CHECK-NEXT:   ar(value.Unused);
// CHECK-NEXT: }
// CHECK-NEXT: } // namespace geo
// CHECK-NEXT: template <class Archive> void serialize(Archive &ar, ::Stats &value) {
// CHECK-NEXT:   ar(value.Total);
// CHECK-NEXT:   if constexpr (Archive::is_loading::value) {
// CHECK-NEXT:     auto v = value.Hits.load();
// CHECK-NEXT:     ar(v);
// CHECK-NEXT:     value.Hits.store(v);
// CHECK-NEXT:   } else {
// CHECK-NEXT:     ar(value.Hits.load());
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NEXT: template <class Archive> void serialize(Archive &ar, ::Row &value) {
// CHECK-NEXT:   ar(value.X, value.Y, value.W);
// CHECK-NEXT: }
// CHECK-NOT: serialize(Archive &ar, ::geo::Own
