// Reading and writing Make-style depfiles as clang writes them: spaces
// escaped as `\ `, '#' as `\#`, '$' as `$$`, lines continued with `\`.
#include "DepFile.hpp"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace nuc {
namespace {

// Splits \p Text into unescaped words; a word ending in an unescaped ':'
// is reported with the colon.
std::vector<std::string> words(llvm::StringRef Text) {
  std::vector<std::string> Out(1);
  for (size_t I = 0; I < Text.size(); ++I) {
    char C = Text[I];
    char Next = I + 1 < Text.size() ? Text[I + 1] : '\0';
    if ((C == '\\' && (Next == ' ' || Next == '#')) ||
        (C == '$' && Next == '$')) {
      Out.back() += Next;
      ++I;
    } else if (C == '\\' && (Next == '\n' || Next == '\r')) {
      ++I;
    } else if (C == ' ' || C == '\t' || C == '\n' || C == '\r') {
      if (!Out.back().empty())
        Out.emplace_back();
    } else {
      Out.back() += C;
    }
  }
  if (Out.back().empty())
    Out.pop_back();
  return Out;
}

std::string escape(llvm::StringRef Path) {
  std::string Out;
  for (char C : Path) {
    if (C == ' ' || C == '#')
      Out += '\\';
    else if (C == '$')
      Out += '$';
    Out += C;
  }
  return Out;
}

std::string absolute(llvm::StringRef Path, llvm::StringRef Directory) {
  llvm::SmallString<256> Out(Path);
  llvm::sys::fs::make_absolute(Directory, Out);
  llvm::sys::path::remove_dots(Out, /*remove_dot_dot=*/true);
  return std::string(Out);
}

} // namespace

std::vector<std::string> parseDepFile(llvm::StringRef Text) {
  std::vector<std::string> All = words(Text);
  auto Colon = std::find_if(All.begin(), All.end(), [](const std::string &W) {
    return llvm::StringRef(W).endswith(":");
  });
  if (Colon == All.end())
    return {};
  return std::vector<std::string>(Colon + 1, All.end());
}

std::string formatDepFile(llvm::StringRef Target,
                          const std::vector<std::string> &Deps) {
  std::string Out = escape(Target) + ":";
  for (const std::string &D : Deps)
    Out += " \\\n  " + escape(D);
  return Out + "\n";
}

llvm::Error rewriteDepFile(llvm::StringRef ClangDepFile,
                           llvm::StringRef Directory, llvm::StringRef Target,
                           llvm::StringRef DepFile) {
  auto Buffer = llvm::MemoryBuffer::getFile(ClangDepFile);
  if (!Buffer)
    return llvm::createFileError(ClangDepFile, Buffer.getError());
  std::vector<std::string> Deps = parseDepFile((*Buffer)->getBuffer());
  for (std::string &D : Deps)
    D = absolute(D, Directory);
  return llvm::writeToOutput(DepFile, [&](llvm::raw_ostream &OS) {
    OS << formatDepFile(Target, Deps);
    return llvm::Error::success();
  });
}

} // namespace nuc
