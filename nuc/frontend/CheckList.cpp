// The explicit list of nuc's checks. Add a check here, with its lit test
// under test/lit/frontend/, and nowhere else.
#include "BoundaryTypesCheck.hpp"
#include "ClosureCapturesCheck.hpp"
#include "HiddenSharingCheck.hpp"
#include "NondeterminismCheck.hpp"
#include "StateCheck.hpp"
#include "UndeclaredProcletCheck.hpp"

namespace nuc {

std::vector<std::unique_ptr<Check>> createChecks(CheckContext &Context) {
  std::vector<std::unique_ptr<Check>> Checks;
  Checks.push_back(
      std::make_unique<BoundaryTypesCheck>("nu-boundary-types", Context));
  Checks.push_back(
      std::make_unique<ClosureCapturesCheck>("nu-closure-captures", Context));
  Checks.push_back(std::make_unique<StateCheck>("nu-state", Context));
  Checks.push_back(
      std::make_unique<HiddenSharingCheck>("nu-hidden-sharing", Context));
  Checks.push_back(
      std::make_unique<NondeterminismCheck>("nu-nondeterminism", Context));
  Checks.push_back(std::make_unique<UndeclaredProcletCheck>(
      "nu-undeclared-proclet", Context));
  return Checks;
}

} // namespace nuc
