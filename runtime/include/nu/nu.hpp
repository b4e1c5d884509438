// The nu API in one include: proclets, futures, errors, the runtime.
// See design.md section 1 for the programming model.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/errors.hpp"
#include "nu/future.hpp"
#include "nu/ids.hpp"
#include "nu/migrate.hpp"
#include "nu/options.hpp"
#include "nu/proclet.hpp"
#include "nu/runtime.hpp"
