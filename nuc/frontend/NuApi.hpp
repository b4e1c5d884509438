// Recognises the nu runtime API by qualified name: nu::Proclet,
// nu::WeakProclet, nu::make_proclet, Run and RunAsync.
#pragma once

#include "clang/AST/Type.h"
#include "llvm/ADT/StringRef.h"

namespace clang {
class CallExpr;
class CXXMemberCallExpr;
class Decl;
class Expr;
class NamedDecl;
} // namespace clang

namespace nuc {

/// True when \p D is named `nu::<Name>` (inline namespaces ignored).
bool isNuDecl(const clang::NamedDecl *D, llvm::StringRef Name);

/// For `nu::Proclet<T>` or `nu::WeakProclet<T>` (references and sugar
/// removed): the `T`; otherwise a null type.
clang::QualType handleTarget(clang::QualType Handle);

/// A call to `Run` or `RunAsync` on a proclet handle.
struct RunCall {
  const clang::CXXMemberCallExpr *Call = nullptr;
  clang::QualType Proclet;                  ///< the `T`
  llvm::StringRef Entry;                    ///< "Run" or "RunAsync"
  const clang::Expr *Closure = nullptr;     ///< first argument
  llvm::ArrayRef<const clang::Expr *> Args; ///< shipped arguments
};
bool matchRunCall(const clang::CXXMemberCallExpr *Call, RunCall &Out);
/// A `nu::ShardedMap` operation that ships its closure to the shards
/// (Apply, ApplyAsync, ForEach, Reduce's fold): `Proclet` stays null.
bool matchMapClosureCall(const clang::CXXMemberCallExpr *Call, RunCall &Out);

/// A call to `nu::make_proclet<T>(...)`.
struct MakeProcletCall {
  const clang::CallExpr *Call = nullptr;
  clang::QualType Proclet;
  llvm::ArrayRef<const clang::Expr *> Args; ///< constructor arguments
};
bool matchMakeProclet(const clang::CallExpr *Call, MakeProcletCall &Out);

} // namespace nuc

namespace clang {
class FunctionDecl;
class LambdaExpr;
class VarDecl;
} // namespace clang

namespace nuc {

/// What the first argument of `Run`/`RunAsync` turned out to be.
struct Closure {
  const clang::LambdaExpr *Lambda = nullptr;     ///< a lambda, or
  const clang::FunctionDecl *Function = nullptr; ///< a function or method
  bool IsMethod = false;
  /// The variable the closure was stored in, when passed through one.
  const clang::VarDecl *Via = nullptr;
};

/// Sees through `+`, parentheses, temporaries, `&` and local variables
/// initialised once to find the lambda or function behind \p E.
Closure resolveClosure(const clang::Expr *E);

} // namespace nuc
