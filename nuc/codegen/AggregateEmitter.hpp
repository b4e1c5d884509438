// cereal serializers for user aggregates: a free `serialize` template in
// the aggregate's own namespace, where argument-dependent lookup finds it.
#pragma once

#include "IR.hpp"

#include <string>
#include <vector>

namespace nuc::codegen {

/// `template <class Archive> void serialize(Archive &, ::ns::T &)` for each
/// aggregate, reopening its namespaces (`namespace {` for anonymous ones).
void emitAggregates(const std::vector<ir::Aggregate> &Aggregates,
                    std::string &Out);

} // namespace nuc::codegen
