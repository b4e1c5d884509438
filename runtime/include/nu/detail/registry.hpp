// The process's table of proclet types, filled before main() by the code
// nuc generates. It is read-only metadata of the binary, shared by nodes.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/archive.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

namespace nu::detail {

/// Decodes arguments from `in`, calls the method on `self`, writes the
/// result to `out`. Exceptions propagate to the caller of the dispatcher.
using Dispatch = void (*)(void *self, InArchive &in, OutArchive &out);

/// The bytes of a member function pointer: a process-local key that maps
/// `&T::method` at a call site to the method's stable id.
using MethodKey = std::array<std::byte, sizeof(void (std::string::*)())>;

template <class M> MethodKey method_key(M method) {
  static_assert(sizeof(M) == sizeof(MethodKey),
                "proclets with virtual bases are not supported");
  MethodKey key;
  std::memcpy(key.data(), &method, sizeof(key));
  return key;
}

/// One row of a proclet's method table.
struct MethodEntry {
  std::uint64_t id = 0;       ///< hash of the qualified signature
  std::string_view signature; ///< `int Accumulator::Get()`
  MethodKey key{};
  Dispatch dispatch = nullptr;
};

/// How a field of the state travels when the proclet migrates.
enum class FieldKind : std::uint8_t {
  Value,     ///< saved and loaded
  Atomic,    ///< saved and loaded by value (`load()`/`store()`)
  Recreated, ///< mutex, condition variable: constructed empty
  Transient, ///< `[[nu::transient]]`: constructed empty
};

struct FieldEntry {
  std::string_view name;
  std::string_view type;
  FieldKind kind = FieldKind::Value;
};

/// Everything the runtime knows about one proclet type.
struct ProcletType {
  std::string name;         ///< fully qualified, as nuc spelled it
  std::uint64_t id = 0;     ///< fnv1a64(name): the type's wire id
  std::uint64_t schema = 0; ///< hash over fields and method signatures
  std::type_index cpp_type = typeid(void);
  std::vector<FieldEntry> fields;
  std::vector<MethodEntry> methods;
  void (*save)(OutArchive &, const void *) = nullptr;
  void (*load)(InArchive &, void *) = nullptr;
  /// Allocates an object ready for `load`: default-constructed if the class
  /// can be, else field by field (no user constructor runs). `destroy`
  /// deletes an object of the type.
  void *(*construct_for_load)() = nullptr;
  void (*destroy)(void *) = nullptr;
  std::size_t (*estimate_size)(const void *) = nullptr;

  const MethodEntry *find_method(std::uint64_t method_id) const;
  const MethodEntry *find_method(const MethodKey &key) const;
};

/// The type table. Registration is idempotent per C++ type, so every
/// translation unit may register the proclet types it uses.
class TypeRegistry {
public:
  static TypeRegistry &instance();

  /// Adds \p type unless its C++ type is known; returns the entry kept.
  /// Throws nu::Error when a different type has the same wire id.
  const ProcletType &add(ProcletType type);
  const ProcletType *find(std::uint64_t type_id) const;
  const ProcletType *find(std::type_index cpp_type) const;
  /// Sorted (name, schema) of every type: compared when nodes join.
  std::vector<std::pair<std::string, std::uint64_t>> schemas() const;

private:
  TypeRegistry() = default;
  struct Impl;
  Impl &impl() const;
};

/// The entry for `T`, or a nu::Error telling the user to build with nuc.
const ProcletType &proclet_type(std::type_index cpp_type,
                                std::string_view readable_name);

} // namespace nu::detail
