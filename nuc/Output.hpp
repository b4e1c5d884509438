// The files nuc writes for `-o`: the generated code and its depfile,
// replaced atomically, and removed when the source has errors.
#pragma once

#include "frontend/IR.hpp"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace nuc {

/// The generated file of one source and, optionally, its depfile.
class GeneratedOutput {
public:
  /// \p Directory is the one relative paths of the compile command are
  /// relative to; \p DepFile may be empty.
  GeneratedOutput(std::string Path, std::string DepFile, std::string Directory);
  ~GeneratedOutput();
  GeneratedOutput(const GeneratedOutput &) = delete;
  GeneratedOutput &operator=(const GeneratedOutput &) = delete;

  /// Compiler flags that make clang record the source's dependencies;
  /// none without a depfile.
  llvm::Expected<std::vector<std::string>> dependencyFlags();

  /// Writes the formatted code generated for \p TU, then the depfile.
  llvm::Error write(const ir::TranslationUnit &TU);

  /// Removes the outputs, so that no stale one outlives a failed run.
  void discard();

private:
  std::string Path;
  std::string DepFile;
  std::string Directory;
  std::string ClangDepFile; ///< where clang writes, a temporary file
};

} // namespace nuc
