// nuc: the nu source-to-source compiler.
// Usage: nuc [options] <source>... -- <compiler flags>, or -p <build dir>.
#include "Driver.hpp"

#include "llvm/Support/InitLLVM.h"

int main(int Argc, const char **Argv) {
  llvm::InitLLVM X(Argc, Argv);
  return nuc::runDriver(Argc, Argv);
}
