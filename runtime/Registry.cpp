// The process's tables of proclet types, closures and constructors, filled
// before main() by generated code and template instantiations.
#include "nu/detail/registry.hpp"
#include "Demangle.hpp"
#include "SymbolTable.hpp"
#include "nu/detail/entry_points.hpp"
#include "nu/errors.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace nu::detail {

const MethodEntry *ProcletType::find_method(std::uint64_t method_id) const {
  for (const MethodEntry &m : methods)
    if (m.id == method_id)
      return &m;
  return nullptr;
}

const MethodEntry *ProcletType::find_method(const MethodKey &key) const {
  for (const MethodEntry &m : methods)
    if (m.key == key)
      return &m;
  return nullptr;
}

struct TypeRegistry::Impl {
  mutable std::shared_mutex mu;
  std::unordered_map<std::uint64_t, std::unique_ptr<ProcletType>> by_id;
  std::unordered_map<std::type_index, const ProcletType *> by_type;
};

TypeRegistry &TypeRegistry::instance() {
  static TypeRegistry registry;
  return registry;
}

TypeRegistry::Impl &TypeRegistry::impl() const {
  static Impl impl;
  return impl;
}

const ProcletType &TypeRegistry::add(ProcletType type) {
  Impl &r = impl();
  std::unique_lock lock(r.mu);
  if (auto it = r.by_type.find(type.cpp_type); it != r.by_type.end())
    return *it->second;
  if (auto it = r.by_id.find(type.id); it != r.by_id.end())
    throw Error("nu: proclet types '" + it->second->name + "' and '" +
                type.name + "' have the same id");
  auto owned = std::make_unique<ProcletType>(std::move(type));
  const ProcletType *kept = owned.get();
  r.by_type.emplace(kept->cpp_type, kept);
  r.by_id.emplace(kept->id, std::move(owned));
  return *kept;
}

const ProcletType *TypeRegistry::find(std::uint64_t type_id) const {
  Impl &r = impl();
  std::shared_lock lock(r.mu);
  auto it = r.by_id.find(type_id);
  return it == r.by_id.end() ? nullptr : it->second.get();
}

const ProcletType *TypeRegistry::find(std::type_index cpp_type) const {
  Impl &r = impl();
  std::shared_lock lock(r.mu);
  auto it = r.by_type.find(cpp_type);
  return it == r.by_type.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, std::uint64_t>>
TypeRegistry::schemas() const {
  Impl &r = impl();
  std::shared_lock lock(r.mu);
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto &[id, type] : r.by_id)
    out.emplace_back(type->name, type->schema);
  std::sort(out.begin(), out.end());
  return out;
}

const ProcletType &proclet_type(std::type_index cpp_type,
                                std::string_view readable_name) {
  if (const ProcletType *t = TypeRegistry::instance().find(cpp_type))
    return *t;
  throw Error("nu: '" + demangle(std::string(readable_name).c_str()) +
              "' is not a registered proclet type: mark the class "
              "[[nu::proclet]] and build its sources with nu_add_executable");
}

namespace {

/// Entry points by id; ids that two entries share are refused.
template <class Fn> class EntryTable {
public:
  std::uint64_t add(const char *key, Fn fn) {
    std::uint64_t id = fnv1a64(key);
    std::scoped_lock lock(mu_);
    auto [it, inserted] = entries_.emplace(id, fn);
    if (!inserted && it->second != fn)
      it->second = nullptr; // a collision: neither may be called remotely
    return id;
  }
  Fn find(std::uint64_t id) {
    std::scoped_lock lock(mu_);
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : it->second;
  }

private:
  std::mutex mu_;
  std::unordered_map<std::uint64_t, Fn> entries_;
};

EntryTable<ClosureRun> &closures() {
  static EntryTable<ClosureRun> table;
  return table;
}

EntryTable<ConstructorRun> &constructors() {
  static EntryTable<ConstructorRun> table;
  return table;
}

} // namespace

std::uint64_t register_closure(const char *key, ClosureRun run) {
  return closures().add(key, run);
}

std::uint64_t register_constructor(const char *key, ConstructorRun run) {
  return constructors().add(key, run);
}

ClosureRun find_closure(std::uint64_t id) { return closures().find(id); }

ConstructorRun find_constructor(std::uint64_t id) {
  return constructors().find(id);
}

std::uint64_t function_id(const void *fn) {
  const SymbolTable &symbols = SymbolTable::executable();
  if (auto id = symbols.id_of(fn))
    return *id;
  throw Error("nu: cannot ship the closure " + symbols.describe(fn) +
              " to another node: it has no unique symbol in the executable "
              "(is the binary stripped?); pass the lambda without unary '+'");
}

const void *function_from_id(std::uint64_t id) {
  return SymbolTable::executable().function(id);
}

} // namespace nu::detail
