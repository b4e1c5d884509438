// Formats generated code with clang's Format library: the same result as
// `clang-format --style=LLVM`, except that string literals are not split.
#include "Format.hpp"

#include "clang/Format/Format.h"
#include "clang/Tooling/Core/Replacement.h"

namespace nuc {

llvm::Expected<std::string> formatGenerated(llvm::StringRef Code) {
  clang::format::FormatStyle Style = clang::format::getLLVMStyle();
  Style.BreakStringLiterals = false; // keep signatures whole, greppable
  size_t Body = Code.find('\n');
  Body = Body == llvm::StringRef::npos ? Code.size() : Body + 1;
  std::vector<clang::tooling::Range> Ranges{clang::tooling::Range(
      static_cast<unsigned>(Body), static_cast<unsigned>(Code.size() - Body))};
  clang::tooling::Replacements Fixes =
      clang::format::reformat(Style, Code, Ranges, "generated.nu.cpp");
  return clang::tooling::applyAllReplacements(Code, Fixes);
}

} // namespace nuc
