// Registers [[nu::proclet]], [[nu::transient]] and [[nu::node_local]] with
// clang, so they are recognised (no "unknown attribute") and checked.
// Linked as an OBJECT library: in a static archive the linker would drop it.
#include "Attributes.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"

using namespace clang;

namespace nuc {
namespace {

/// One nu:: attribute: where it may appear and the annotation it attaches.
class NuAttrInfo : public ParsedAttrInfo {
public:
  NuAttrInfo(llvm::StringRef Annotation, const char *AppliesTo,
             ArrayRef<Spelling> S)
      : Annotation(Annotation), AppliesTo(AppliesTo) {
    Spellings = S;
  }

  bool diagAppertainsToDecl(Sema &S, const ParsedAttr &Attr,
                            const Decl *D) const override {
    if (appertainsTo(D))
      return true;
    unsigned ID = S.getDiagnostics().getCustomDiagID(
        DiagnosticsEngine::Error,
        "%0 attribute only applies to %1 [nu-attributes]");
    S.Diag(Attr.getLoc(), ID)
        << ("'" + Attr.getNormalizedFullName() + "'") << AppliesTo;
    return false;
  }

  AttrHandling handleDeclAttribute(Sema &S, Decl *D,
                                   const ParsedAttr &Attr) const override {
    D->addAttr(AnnotateAttr::Create(S.Context, Annotation, nullptr, 0,
                                    Attr.getRange()));
    return AttributeApplied;
  }

protected:
  virtual bool appertainsTo(const Decl *D) const = 0;

private:
  llvm::StringRef Annotation;
  const char *AppliesTo;
};

constexpr ParsedAttrInfo::Spelling ProcletSpelling[] = {
    {AttributeCommonInfo::AS_CXX11, "nu::proclet"}};
constexpr ParsedAttrInfo::Spelling TransientSpelling[] = {
    {AttributeCommonInfo::AS_CXX11, "nu::transient"}};
constexpr ParsedAttrInfo::Spelling NodeLocalSpelling[] = {
    {AttributeCommonInfo::AS_CXX11, "nu::node_local"}};

class ProcletAttrInfo : public NuAttrInfo {
public:
  ProcletAttrInfo()
      : NuAttrInfo(ProcletAnnotation, "classes outside function bodies",
                   ProcletSpelling) {}

protected:
  /// Generated code registers the class from namespace scope, so it must
  /// be nameable there: not local to a function.
  bool appertainsTo(const Decl *D) const override {
    const auto *RD = dyn_cast<CXXRecordDecl>(D);
    return RD && !RD->isUnion() && !RD->isLambda() &&
           !RD->getParentFunctionOrMethod();
  }
};

class TransientAttrInfo : public NuAttrInfo {
public:
  TransientAttrInfo()
      : NuAttrInfo(TransientAnnotation, "non-static data members",
                   TransientSpelling) {}

protected:
  bool appertainsTo(const Decl *D) const override { return isa<FieldDecl>(D); }
};

class NodeLocalAttrInfo : public NuAttrInfo {
public:
  NodeLocalAttrInfo()
      : NuAttrInfo(NodeLocalAnnotation, "variables with static storage",
                   NodeLocalSpelling) {}

protected:
  bool appertainsTo(const Decl *D) const override {
    const auto *VD = dyn_cast<VarDecl>(D);
    return VD && VD->hasGlobalStorage();
  }
};

ParsedAttrInfoRegistry::Add<ProcletAttrInfo> RegisterProclet("nu-proclet",
                                                             "a proclet class");
ParsedAttrInfoRegistry::Add<TransientAttrInfo>
    RegisterTransient("nu-transient", "state re-created after migration");
ParsedAttrInfoRegistry::Add<NodeLocalAttrInfo>
    RegisterNodeLocal("nu-node-local", "a deliberately per-node global");

} // namespace
} // namespace nuc
