// nuc: the nu source-to-source compiler.
// Usage: nuc [options] <source>... -- <compiler flags>, or -p <build dir>.
#include "Driver.hpp"

#include "llvm/Support/InitLLVM.h"

#if defined(__SANITIZE_ADDRESS__)
// Clang 16 leaks the deduction-failure notes of some class template partial
// specializations (clang::MakeDeductionFailureInfo). libLLVM has no frame
// pointers, so with ASan's fast unwinder the stack ends at SmallVector's
// out-of-line grow_pod; suppressing that hides only leaked SmallVector
// buffers (slow unwinding, which would name the clang frame, makes nuc 4x
// slower).
extern "C" __attribute__((used)) const char *__lsan_default_suppressions() {
  return "leak:clang::MakeDeductionFailureInfo\n"
         "leak:llvm::SmallVectorBase<unsigned int>::grow_pod\n";
}
extern "C" __attribute__((used)) const char *__lsan_default_options() {
  return "print_suppressions=0";
}
#endif

int main(int Argc, const char **Argv) {
  llvm::InitLLVM X(Argc, Argv);
  return nuc::runDriver(Argc, Argv);
}
