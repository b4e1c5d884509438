// What identifies a proclet type and its methods across nodes: how each
// field travels, canonical method signatures, method ids, schema hashes.
#pragma once

#include "IR.hpp"

#include <cstdint>
#include <string>

namespace nuc::codegen {

/// How a field travels when its proclet migrates; the runtime's
/// nu::codegen::FieldKind, same enumerators.
enum class FieldKind { Value, Atomic, Recreated, Transient };

FieldKind fieldKind(const ir::Field &F);

/// The enumerator's name: `Value`, `Atomic`, `Recreated`, `Transient`.
const char *enumeratorName(FieldKind K);

/// True when the field's value is saved and loaded (values and atomics).
bool isSaved(FieldKind K);

/// `<result> <class>::<name>(<params>)[ const]` over the decayed types and
/// the proclet class (not the base declaring the method): typedefs and
/// other sugar do not change it.
std::string canonicalSignature(const ir::ProcletClass &C, const ir::Method &M);

/// The method's stable id: fnv1a64 of its canonical signature.
std::uint64_t methodId(const ir::ProcletClass &C, const ir::Method &M);

/// The text the schema hash is computed over; see Schema.cpp.
std::string schemaText(const ir::ProcletClass &C);

/// fnv1a64 of schemaText(): nodes that disagree on it cannot share \p C.
std::uint64_t schemaHash(const ir::ProcletClass &C);

} // namespace nuc::codegen
