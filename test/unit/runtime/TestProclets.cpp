// Registration of the test proclets, written the way nuc generates it
// (the runtime's unit tests do not depend on nuc).
#include "TestProclets.hpp"

#include <nu/codegen.hpp>

namespace {
namespace gen {
struct Counter_value {};
struct Counter_mu {};
struct Holder_held {};
struct Link_next {};
struct Fragile_unused {};
struct Blob_data {};
} // namespace gen
} // namespace

namespace nu::codegen {
constexpr auto member(gen::Counter_value) noexcept;
constexpr auto member(gen::Counter_mu) noexcept;
constexpr auto member(gen::Holder_held) noexcept;
constexpr auto member(gen::Link_next) noexcept;
constexpr auto member(gen::Fragile_unused) noexcept;
constexpr auto member(gen::Blob_data) noexcept;
} // namespace nu::codegen

template struct nu::codegen::Access<gen::Counter_value,
                                    &nutest::Counter::value_>;
template struct nu::codegen::Access<gen::Counter_mu, &nutest::Counter::mu_>;
template struct nu::codegen::Access<gen::Holder_held, &nutest::Holder::held_>;
template struct nu::codegen::Access<gen::Link_next, &nutest::Link::next_>;
template struct nu::codegen::Access<gen::Fragile_unused,
                                    &nutest::Fragile::unused_>;
template struct nu::codegen::Access<gen::Blob_data, &nutest::Blob::data_>;

namespace {
namespace gen {
using nu::codegen::member;
using nu::codegen::method;
using namespace nutest;

struct Counter_Spec {
  using type = Counter;
  static constexpr std::string_view name = "nutest::Counter";
  static constexpr std::uint64_t schema_hash = 1;
  static void save(nu::codegen::OutArchive &ar, const type &self) {
    nu::codegen::save_field(ar, self.*member(Counter_value{}));
  }
  static void load(nu::codegen::InArchive &ar, type &self) {
    nu::codegen::load_field(ar, self.*member(Counter_value{}));
  }
  static void construct(type *self) {
    nu::codegen::construct_field(self->*member(Counter_mu{}));
    nu::codegen::construct_field(self->*member(Counter_value{}));
  }
  static std::size_t estimate_size(const type &) { return sizeof(type); }
  static std::vector<nu::codegen::Field> fields() {
    return {{"mu_", "std::mutex", nu::codegen::FieldKind::Recreated},
            {"value_", "int", nu::codegen::FieldKind::Value}};
  }
  static std::vector<nu::codegen::Method> methods() {
    return {
        method<Counter, &Counter::Add>(1, "void nutest::Counter::Add(int)"),
        method<Counter, &Counter::Get>(2, "int nutest::Counter::Get() const"),
        method<Counter, &Counter::Echo>(
            3, "std::string Counter::Echo(std::string)"),
        method<Counter, &Counter::Range>(
            4, "std::vector<int> Counter::Range(int)"),
        method<Counter, &Counter::Maybe>(
            5, "std::optional<int> Counter::Maybe(bool)"),
        method<Counter, &Counter::Throw>(6, "void Counter::Throw(std::string)"),
        method<Counter, &Counter::ThrowCustom>(7,
                                               "void Counter::ThrowCustom()"),
        method<Counter, &Counter::AddressOf>(
            8, "uint64 Counter::AddressOf(vector)"),
        method<Counter, &Counter::Sleep>(9, "void Counter::Sleep(int)"),
        method<Counter, &Counter::Where>(10, "unsigned Counter::Where()"),
    };
  }
};

/// The parts of a spec that do not matter for a stateless-looking test type.
template <class T, class Tag> struct OneFieldSpec {
  using type = T;
  static void save(nu::codegen::OutArchive &ar, const type &self) {
    nu::codegen::save_field(ar, self.*member(Tag{}));
  }
  static void load(nu::codegen::InArchive &ar, type &self) {
    nu::codegen::load_field(ar, self.*member(Tag{}));
  }
  static void construct(type *self) {
    nu::codegen::construct_field(self->*member(Tag{}));
  }
  static std::size_t estimate_size(const type &) { return sizeof(type); }
  static std::vector<nu::codegen::Field> fields() { return {}; }
};

struct Holder_Spec : OneFieldSpec<Holder, Holder_held> {
  static constexpr std::string_view name = "nutest::Holder";
  static constexpr std::uint64_t schema_hash = 2;
  static std::vector<nu::codegen::Method> methods() {
    return {method<Holder, &Holder::Set>(1, "Holder::Set"),
            method<Holder, &Holder::Take>(2, "Holder::Take"),
            method<Holder, &Holder::Read>(3, "Holder::Read"),
            method<Holder, &Holder::Drop>(4, "Holder::Drop"),
            method<Holder, &Holder::SleepThenRead>(5, "Holder::SleepThenRead"),
            method<Holder, &Holder::AddToHeld>(6, "Holder::AddToHeld"),
            method<Holder, &Holder::MakeOne>(7, "Holder::MakeOne")};
  }
};

struct Link_Spec : OneFieldSpec<Link, Link_next> {
  static constexpr std::string_view name = "nutest::Link";
  static constexpr std::uint64_t schema_hash = 3;
  static std::vector<nu::codegen::Method> methods() {
    return {method<Link, &Link::SetNext>(1, "Link::SetNext"),
            method<Link, &Link::Depth>(2, "Link::Depth"),
            method<Link, &Link::SleepThenAsk>(3, "Link::SleepThenAsk"),
            method<Link, &Link::Answer>(4, "Link::Answer")};
  }
};

struct Fragile_Spec : OneFieldSpec<Fragile, Fragile_unused> {
  static constexpr std::string_view name = "nutest::Fragile";
  static constexpr std::uint64_t schema_hash = 4;
  static std::vector<nu::codegen::Method> methods() { return {}; }
};

struct Blob_Spec : OneFieldSpec<Blob, Blob_data> {
  static constexpr std::string_view name = "nutest::Blob";
  static constexpr std::uint64_t schema_hash = 5;
  static std::size_t estimate_size(const Blob &self) {
    return sizeof(Blob) + nu::codegen::heap_size(self.*member(Blob_data{}));
  }
  static std::vector<nu::codegen::Method> methods() {
    return {method<Blob, &Blob::Fill>(1, "Blob::Fill"),
            method<Blob, &Blob::Sum>(2, "Blob::Sum"),
            method<Blob, &Blob::Size>(3, "Blob::Size"),
            method<Blob, &Blob::Adopt>(4, "Blob::Adopt"),
            method<Blob, &Blob::Assign>(5, "Blob::Assign"),
            method<Blob, &Blob::Copy>(6, "Blob::Copy")};
  }
};

[[maybe_unused]] const bool registered =
    nu::codegen::register_proclet<Counter_Spec>() &&
    nu::codegen::register_proclet<Holder_Spec>() &&
    nu::codegen::register_proclet<Link_Spec>() &&
    nu::codegen::register_proclet<Fragile_Spec>() &&
    nu::codegen::register_proclet<Blob_Spec>();

} // namespace gen
} // namespace
