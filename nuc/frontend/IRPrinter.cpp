// Text form of the intermediate representation, for --list-proclets.
// One line per item, indented under its class; no addresses, no timestamps.
#include "IRPrinter.hpp"

#include <ostream>

namespace nuc::ir {
namespace {

std::ostream &operator<<(std::ostream &OS, const SourceLoc &L) {
  return OS << L.File << ':' << L.Line << ':' << L.Column;
}

void printParams(const std::vector<Param> &Params, std::ostream &OS) {
  OS << '(';
  for (size_t I = 0; I < Params.size(); ++I) {
    OS << (I ? ", " : "") << Params[I].Ty.Spelling;
    if (!Params[I].Name.empty())
      OS << ' ' << Params[I].Name;
  }
  OS << ')';
}

void printTypes(const std::vector<Type> &Types, std::ostream &OS) {
  OS << '(';
  for (size_t I = 0; I < Types.size(); ++I)
    OS << (I ? ", " : "") << Types[I].Spelling;
  OS << ')';
}

const char *kindName(ClosureKind K) {
  switch (K) {
  case ClosureKind::Method:
    return "method";
  case ClosureKind::Lambda:
    return "lambda";
  case ClosureKind::Function:
    return "function";
  }
  return "?";
}

void printField(const Field &F, const std::string &Owner, std::ostream &OS) {
  OS << "  field " << F.Ty.Spelling << ' ' << F.Name;
  if (F.DeclaredIn != Owner)
    OS << " in " << F.DeclaredIn;
  if (F.IsTransient)
    OS << " [transient]";
  if (F.IsRecreated)
    OS << " [recreated]";
  if (F.IsAtomic)
    OS << " [atomic]";
  OS << '\n';
}

void printClass(const ProcletClass &C, std::ostream &OS) {
  OS << "proclet " << C.Name << " at " << C.Loc
     << (C.IsTemplateInstance ? " (template instance)" : "")
     << (C.IsAbstract ? " (abstract)" : "")
     << (C.IsFileLocal ? " (file-local)" : "") << '\n';
  for (const std::string &B : C.Bases)
    OS << "  base " << B << '\n';
  for (const Constructor &Ctor : C.Constructors) {
    OS << "  constructor ";
    printParams(Ctor.Params, OS);
    OS << '\n';
  }
  for (const Method &M : C.Methods) {
    OS << "  method " << M.Result.Spelling << ' ' << M.Name;
    printParams(M.Params, OS);
    OS << (M.IsConst ? " const" : "");
    if (M.DeclaredIn != C.Name)
      OS << " in " << M.DeclaredIn;
    OS << '\n';
  }
  for (const Field &F : C.Fields)
    printField(F, C.Name, OS);
}

void printAggregate(const Aggregate &A, std::ostream &OS) {
  OS << "aggregate " << A.Name << " at " << A.Loc;
  for (size_t I = 0; I < A.Namespaces.size(); ++I) {
    const Namespace &NS = A.Namespaces[I];
    OS << (I ? "::" : " in namespace ") << (NS.IsInline ? "inline " : "")
       << (NS.Name.empty() ? "(anonymous)" : NS.Name);
  }
  OS << '\n';
  for (const Field &F : A.Fields)
    printField(F, A.Name, OS);
}

} // namespace

void print(const TranslationUnit &TU, std::ostream &OS) {
  OS << "# " << TU.MainFile << '\n';
  for (const ProcletClass &C : TU.Proclets)
    printClass(C, OS);
  for (const Creation &C : TU.Creations) {
    OS << "make_proclet<" << C.Proclet << "> at " << C.Loc << ' ';
    printTypes(C.Args, OS);
    OS << '\n';
  }
  for (const ClosureSite &S : TU.Closures) {
    OS << S.Entry << " on " << S.Proclet << " at " << S.Loc << ": "
       << kindName(S.Kind) << (S.Callee.empty() ? "" : " ") << S.Callee;
    printTypes(S.Params, OS);
    OS << " -> " << S.Result.Spelling << '\n';
  }
  for (const Aggregate &A : TU.Aggregates)
    printAggregate(A, OS);
}

} // namespace nuc::ir
