// The nu API in one include: proclets, futures, errors, the runtime.
// The programming model is in README.md and docs/runtime.md.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/caller_heap.hpp"
#include "nu/errors.hpp"
#include "nu/future.hpp"
#include "nu/ids.hpp"
#include "nu/locate.hpp"
#include "nu/migrate.hpp"
#include "nu/options.hpp"
#include "nu/overload.hpp"
#include "nu/proclet.hpp"
#include "nu/runtime.hpp"
#include "nu/when.hpp"
