// Runs nuc's frontend on a snippet of code for unit tests; the snippet can
// include <nu/nu.hpp> (the lit tests' declaration-only API).
#pragma once

#include "frontend/Frontend.hpp"

#include "clang/Tooling/Tooling.h"

#include <string>
#include <vector>

namespace nuc::test {

struct FrontendRun {
  bool Ok = false;
  std::vector<ir::TranslationUnit> Units;
};

inline FrontendRun runFrontend(const std::string &Code) {
  FrontendRun R;
  auto Factory = newFrontendActionFactory(R.Units);
  R.Ok = clang::tooling::runToolOnCodeWithArgs(
      Factory->create(), Code,
      {"-std=c++20", "-I" NU_TEST_INPUTS,
       "-resource-dir=" NU_TEST_RESOURCE_DIR},
      "input.cpp");
  return R;
}

} // namespace nuc::test
