// The cluster handshake as a transport: wraps any transport so that every
// connection proves the cluster secret, both ways, before a frame passes.
#pragma once

#include "nu/net/secret.hpp"
#include "nu/net/transport.hpp"

#include <chrono>
#include <memory>
#include <system_error>
#include <type_traits>

namespace nu::net {

/// Why a connection's handshake failed (category "nu.net.auth").
enum class AuthErrc {
  refused = 1,   ///< a proof was wrong, or the peer gave up on ours
  timed_out = 2, ///< the handshake did not finish in time
};
const std::error_category &auth_category();
inline std::error_code make_error_code(AuthErrc e) {
  return {static_cast<int>(e), auth_category()};
}

struct AuthOptions {
  /// A connection that has not finished the handshake by then is closed.
  std::chrono::milliseconds handshake_timeout{5000};
};

/// \p inner, with the cluster handshake run on every connection before
/// any frame reaches the handlers: connect() returns at once, and what is
/// sent before the handshake ends is queued; an accepting side sees a
/// connection only once its peer proved the secret. A failed handshake
/// closes the connection (one rate-limited log line), and a connecting
/// side's on_close gets an AuthErrc. docs/security.md has the protocol.
std::unique_ptr<Transport>
make_authenticated_transport(std::unique_ptr<Transport> inner,
                             std::shared_ptr<const Secret> secret,
                             PeerRole role, AuthOptions options = {});

} // namespace nu::net

template <> struct std::is_error_code_enum<nu::net::AuthErrc> : true_type {};
