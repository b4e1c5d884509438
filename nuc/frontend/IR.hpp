// The plain intermediate representation the frontend hands to codegen.
// Strings and plain structs only: nothing here refers to clang's AST.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nuc::ir {

/// A position in a source file, as the user would write it in a diagnostic.
struct SourceLoc {
  std::string File;
  unsigned Line = 0;
  unsigned Column = 0;
};

/// How a type crosses a proclet boundary.
enum class TypeKind : std::uint8_t {
  Void,      ///< only as a result
  Value,     ///< serialized by value (arithmetic, enum, class, container)
  ConstRef,  ///< `const T&`: the referred-to value is serialized
  RValueRef, ///< `T&&`: the referred-to value is serialized
  Handle,    ///< `nu::Proclet<U>` / `nu::WeakProclet<U>`: a name, not memory
  Illegal,   ///< rejected by a check (pointer, reference, view, ...)
};

/// A type, spelled fully qualified (`std::vector<int>`), with the type that
/// actually travels (`Decayed`: references and cv-qualifiers removed).
struct Type {
  std::string Spelling;
  std::string Decayed;
  TypeKind Kind = TypeKind::Value;
};

struct Param {
  std::string Name;
  Type Ty;
};

/// A public method: a row of the proclet's method table.
struct Method {
  std::string Name;
  Type Result;
  std::vector<Param> Params;
  bool IsConst = false;
  /// Class that declares it (a base of the proclet, or the proclet itself).
  std::string DeclaredIn;
  /// `Result Class::Name(Params) const`, the input of the method id.
  std::string Signature;
  SourceLoc Loc;
};

/// A non-static data member, own or inherited.
struct Field {
  std::string Name;
  Type Ty;
  std::string DeclaredIn;
  bool IsTransient = false; ///< `[[nu::transient]]`: re-created, not saved
  bool IsRecreated = false; ///< mutex / condition variable: re-created
  bool IsAtomic = false;    ///< `std::atomic<T>`: saved by value
  bool IsPublic = false;
  SourceLoc Loc;
};

struct Constructor {
  std::vector<Param> Params;
  SourceLoc Loc;
};

/// A class marked `[[nu::proclet]]`, or one instantiation of such a template.
struct ProcletClass {
  std::string Name; ///< fully qualified, with template arguments
  SourceLoc Loc;
  bool IsTemplateInstance = false;
  bool IsAbstract = false; ///< has pure virtual methods: never registered
  /// Declared in an anonymous namespace: `Name` is unique only in its file.
  bool IsFileLocal = false;
  std::vector<std::string> Bases;
  std::vector<Constructor> Constructors;
  std::vector<Method> Methods;
  std::vector<Field> Fields;
};

/// What is shipped to `Run`/`RunAsync`.
enum class ClosureKind : std::uint8_t { Method, Lambda, Function };

/// One `Run`/`RunAsync` call site: a closure id will be derived from it.
struct ClosureSite {
  SourceLoc Loc;
  std::string Proclet; ///< the `T` of `nu::Proclet<T>`
  std::string Entry;   ///< `Run` or `RunAsync`
  ClosureKind Kind = ClosureKind::Lambda;
  std::string Callee;       ///< method or function name; empty for a lambda
  std::vector<Type> Params; ///< shipped parameters (after the `T&`)
  Type Result;
};

/// One `make_proclet<T>(...)` call site.
struct Creation {
  SourceLoc Loc;
  std::string Proclet;
  std::vector<Type> Args; ///< constructor arguments as written
};

/// A namespace around a declaration; an empty `Name` is an anonymous one.
struct Namespace {
  std::string Name;
  bool IsInline = false;
};

/// A user aggregate without cereal functions of its own that crosses a
/// boundary or is proclet state (directly, through fields or containers):
/// codegen writes its `serialize`, found by argument-dependent lookup.
struct Aggregate {
  std::string Name; ///< fully qualified, with template arguments
  /// Namespaces enclosing the outermost class around it, outermost first.
  std::vector<Namespace> Namespaces;
  std::vector<Field> Fields; ///< in declaration order, bases first
  SourceLoc Loc;
};

/// Everything the frontend learned from one source file.
struct TranslationUnit {
  std::string MainFile;
  std::vector<ProcletClass> Proclets;
  std::vector<ClosureSite> Closures;
  std::vector<Creation> Creations;
  std::vector<Aggregate> Aggregates; ///< sorted by location, then name
};

} // namespace nuc::ir
