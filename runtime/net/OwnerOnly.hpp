// The check that a file holding a secret (the cluster secret, a TLS key)
// may be read by its owner only.
#pragma once

#include "nu/detail/expected.hpp"

#include <string>
#include <string_view>
#include <sys/stat.h>

namespace nu::net {

/// Nothing if \p st, of the file at \p path, is a regular file that
/// neither group nor others may read or write; else why not, naming the
/// file as \p kind ("the secret file") and \p path, and the chmod that
/// fixes it.
detail::Expected<void> check_owner_only(std::string_view kind,
                                        const std::string &path,
                                        const struct stat &st);

} // namespace nu::net
