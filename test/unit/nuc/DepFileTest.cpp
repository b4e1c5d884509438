// Unit tests of depfile reading and writing: clang's escapes and line
// continuations in, one absolute prerequisite per line out.
#include "DepFile.hpp"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace nuc;

namespace {

TEST(DepFile, ParsesWhatClangWrites) {
  EXPECT_EQ(
      parseDepFile("out.nu.cpp: /src/main.cpp \\\n"
                   "  /inc/a\\ b.hpp /inc/c\\#d.hpp /inc/$$e.hpp \\\n"
                   "  rel/f.hpp\n"),
      (std::vector<std::string>{"/src/main.cpp", "/inc/a b.hpp", "/inc/c#d.hpp",
                                "/inc/$e.hpp", "rel/f.hpp"}));
}

TEST(DepFile, NoRuleNoPrerequisites) {
  EXPECT_TRUE(parseDepFile("").empty());
  EXPECT_TRUE(parseDepFile("just words").empty());
}

TEST(DepFile, FormatsOnePrerequisitePerLine) {
  EXPECT_EQ(formatDepFile("gen/a b.nu.cpp", {"/src/a.cpp", "/inc/$x#.hpp"}),
            "gen/a\\ b.nu.cpp: \\\n  /src/a.cpp \\\n  /inc/$$x\\#.hpp\n");
  EXPECT_EQ(parseDepFile(formatDepFile("t", {"/a b", "/c$#"})),
            (std::vector<std::string>{"/a b", "/c$#"}));
}

TEST(DepFile, RewriteMakesPathsAbsolute) {
  llvm::SmallString<128> In, Out;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("clang", "d", In));
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("nuc", "d", Out));
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(In, EC);
    OS << "x.o: /abs/main.cpp inc/../inc/a.hpp\n";
  }
  ASSERT_FALSE(llvm::errorToBool(rewriteDepFile(In, "/build", "gen.cpp", Out)));
  auto Text = llvm::MemoryBuffer::getFile(Out);
  ASSERT_TRUE(bool(Text));
  EXPECT_EQ((*Text)->getBuffer().str(),
            "gen.cpp: \\\n  /abs/main.cpp \\\n  /build/inc/a.hpp\n");
  llvm::sys::fs::remove(In);
  llvm::sys::fs::remove(Out);
}

} // namespace
