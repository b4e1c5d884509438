// nuc's frontend as a clang FrontendAction: runs every check on a
// translation unit and hands back its intermediate representation.
#pragma once

#include "IR.hpp"

#include "clang/Tooling/Tooling.h"

#include <memory>
#include <vector>

namespace nuc {

/// Creates one action per source file; each appends its IR to \p Out.
/// The IR of a file with errors (clang's or nuc's) is not appended.
std::unique_ptr<clang::tooling::FrontendActionFactory>
newFrontendActionFactory(std::vector<ir::TranslationUnit> &Out);

} // namespace nuc
