// The running executable's ELF symbol table: how a function pointer used as
// a closure becomes a stable id on the wire, and back, without addresses.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace nu::detail {

class SymbolTable {
public:
  /// The table of /proc/self/exe, read on first use (thread-safe).
  static const SymbolTable &executable();
  /// Reads the function symbols of the ELF file at \p path, whose code is
  /// loaded at \p load_bias. An unreadable file gives an empty table.
  static SymbolTable load(const std::string &path, std::uintptr_t load_bias);

  /// fnv1a64 of the mangled name of the function starting at \p function;
  /// nullopt if no symbol starts there or its name is not unique.
  std::optional<std::uint64_t> id_of(const void *function) const;
  /// The function whose symbol has id \p id, or null.
  const void *function(std::uint64_t id) const;
  /// Demangled name of the function at \p function, for messages.
  std::string describe(const void *function) const;
  std::size_t size() const;

  SymbolTable(SymbolTable &&) noexcept;
  ~SymbolTable();

private:
  SymbolTable();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace nu::detail
