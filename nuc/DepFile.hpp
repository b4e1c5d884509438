// Make-style dependency files: the one clang writes for a source, turned
// into `<output>: <source> <headers...>` with absolute paths for Ninja.
#pragma once

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace nuc {

/// The prerequisites of a Make-style depfile's rule (targets dropped),
/// unescaped.
std::vector<std::string> parseDepFile(llvm::StringRef Text);

/// `<Target>: <Deps...>`, one prerequisite per line, escaped for Make and
/// Ninja.
std::string formatDepFile(llvm::StringRef Target,
                          const std::vector<std::string> &Deps);

/// Reads \p ClangDepFile, makes its paths absolute (relative ones are
/// relative to \p Directory) and writes them to \p DepFile as the
/// prerequisites of \p Target, atomically.
llvm::Error rewriteDepFile(llvm::StringRef ClangDepFile,
                           llvm::StringRef Directory, llvm::StringRef Target,
                           llvm::StringRef DepFile);

} // namespace nuc
