// clang-format for generated code, in LLVM style. It lives on the driver's
// side so that codegen itself does not depend on clang.
#pragma once

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace nuc {

/// \p Code reformatted in LLVM style, all but its first line (the header
/// line stays one line, whatever its length).
llvm::Expected<std::string> formatGenerated(llvm::StringRef Code);

} // namespace nuc
