// TLS for the TCP transport's links (mutual: both sides present a
// certificate signed by the cluster's CA), loaded from PEM files.
#pragma once

#include "nu/detail/expected.hpp"

#include <memory>
#include <string>

namespace nu::net {

/// The PEM files of one process: its certificate (chain), its private key
/// (readable by its owner only) and the CA certificate(s) its peers'
/// certificates must be signed by.
struct TlsFiles {
  std::string cert;
  std::string key;
  std::string ca;
  /// True if none is given (TLS off).
  bool empty() const { return cert.empty() && key.empty() && ca.empty(); }
};

/// Loaded, checked TLS settings; shared by every connection of a transport.
class TlsConfig;

/// Loads \p files: all three must be given, the key must match the
/// certificate and be readable by its owner only. TLS 1.2 or later; a peer
/// without a certificate signed by the CA is refused. The failure names the
/// file and what is wrong. Null (no failure) if \p files is empty.
detail::Expected<std::shared_ptr<const TlsConfig>>
load_tls(const TlsFiles &files);

} // namespace nu::net
