// The nu:: attributes nuc understands, and predicates over annotated decls.
// The attributes are registered with clang in AttributeRegistry.cpp.
#pragma once

#include "llvm/ADT/StringRef.h"

namespace clang {
class CXXRecordDecl;
class Decl;
class FieldDecl;
class VarDecl;
} // namespace clang

namespace nuc {

/// Annotation strings attached (as clang::AnnotateAttr) by the registry.
inline constexpr llvm::StringLiteral ProcletAnnotation = "nu::proclet";
inline constexpr llvm::StringLiteral TransientAnnotation = "nu::transient";
inline constexpr llvm::StringLiteral NodeLocalAnnotation = "nu::node_local";

bool hasAnnotation(const clang::Decl *D, llvm::StringRef Annotation);

/// True for a class marked [[nu::proclet]], including every instantiation
/// and specialization of a class template so marked.
bool isProcletClass(const clang::CXXRecordDecl *RD);

bool isTransientField(const clang::FieldDecl *FD);

/// True for a variable marked [[nu::node_local]]: deliberately per node.
bool isNodeLocal(const clang::VarDecl *VD);

} // namespace nuc
