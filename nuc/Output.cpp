// Generation, formatting and writing of nuc's outputs. Every write goes
// to a temporary file renamed into place: readers never see half a file.
#include "Output.hpp"

#include "DepFile.hpp"
#include "Format.hpp"
#include "Version.hpp"
#include "codegen/Generator.hpp"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

namespace nuc {

GeneratedOutput::GeneratedOutput(std::string Path, std::string DepFile,
                                 std::string Directory)
    : Path(std::move(Path)), DepFile(std::move(DepFile)),
      Directory(std::move(Directory)) {}

GeneratedOutput::~GeneratedOutput() {
  if (!ClangDepFile.empty())
    llvm::sys::fs::remove(ClangDepFile);
}

llvm::Expected<std::vector<std::string>> GeneratedOutput::dependencyFlags() {
  if (DepFile.empty())
    return std::vector<std::string>();
  llvm::SmallString<128> Temp;
  if (std::error_code EC =
          llvm::sys::fs::createTemporaryFile("nuc-deps", "d", Temp))
    return llvm::createStringError(EC, "cannot create a temporary file: " +
                                           EC.message());
  ClangDepFile = std::string(Temp);
  return std::vector<std::string>{"-MD", "-MF", ClangDepFile, "-MT", Path};
}

llvm::Error GeneratedOutput::write(const ir::TranslationUnit &TU) {
  std::string Code = codegen::generate(TU, {NucVersion});
  llvm::Expected<std::string> Formatted = formatGenerated(Code);
  if (!Formatted)
    return Formatted.takeError();
  if (llvm::Error E = llvm::writeToOutput(Path, [&](llvm::raw_ostream &OS) {
        OS << *Formatted;
        return llvm::Error::success();
      }))
    return E;
  if (DepFile.empty())
    return llvm::Error::success();
  return rewriteDepFile(ClangDepFile, Directory, Path, DepFile);
}

void GeneratedOutput::discard() {
  if (Path != "-") // standard output
    llvm::sys::fs::remove(Path);
  if (!DepFile.empty())
    llvm::sys::fs::remove(DepFile);
}

} // namespace nuc
