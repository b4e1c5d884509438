// The transport interface nodes talk through, and the explicit list of
// transports. A transport moves whole frames; it does not interpret them.
#pragma once

#include "nu/detail/archive.hpp"
#include "nu/detail/expected.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace nu::net {

using detail::Bytes;
using detail::Expected;

/// What the peer of a connection proved to be in the cluster handshake.
/// `unknown` without a cluster secret (nothing was proved).
enum class PeerRole : std::uint8_t {
  unknown = 0,
  node = 1,       ///< a node of the logical process
  controller = 2, ///< the controller
  tool = 3,       ///< an operator's tool (nuctl)
};

/// One bidirectional, ordered, reliable link to a peer.
class Connection {
public:
  virtual ~Connection() = default;
  /// Queues one frame (header + payload). Never calls a handler inline.
  virtual std::error_code send(Bytes frame) = 0;
  /// Closes the link; on_close runs once for it.
  virtual void close() = 0;
  virtual const std::string &peer_address() const = 0;
  /// What the peer proved to be; `unknown` unless the transport
  /// authenticates its connections.
  virtual PeerRole peer_role() const { return PeerRole::unknown; }
};

/// Callbacks of a transport, run on its I/O thread(s); they must not block.
struct Handlers {
  /// A whole frame arrived (framing done, content not yet validated).
  std::function<void(const std::shared_ptr<Connection> &, Bytes)> on_frame;
  /// The link closed: by either side, or because of an error.
  std::function<void(const std::shared_ptr<Connection> &, std::error_code)>
      on_close;
};

class MemoryHub;

class Secret;
class TlsConfig;

struct TransportOptions {
  /// In-memory transports reach each other only within one hub.
  std::shared_ptr<MemoryHub> memory_hub;
  unsigned io_threads = 1;
  /// With a cluster secret, every connection runs the cluster handshake
  /// before any frame reaches the handlers (nu/net/authenticated.hpp);
  /// `role` is what this process proves to be.
  std::shared_ptr<const Secret> secret;
  PeerRole role = PeerRole::node;
  /// With TLS settings (nu/net/tls.hpp), every connection is TLS; only the
  /// tcp transport supports it (make_transport refuses the others).
  std::shared_ptr<const TlsConfig> tls;
};

class Transport {
public:
  virtual ~Transport() = default;
  virtual std::string_view name() const = 0;
  /// Accepts connections at \p address ("" picks one); returns the address
  /// peers connect to.
  virtual Expected<std::string> listen(const std::string &address,
                                       Handlers handlers) = 0;
  virtual Expected<std::shared_ptr<Connection>>
  connect(const std::string &address, Handlers handlers) = 0;
  /// Closes every connection and stops the I/O threads; idempotent.
  virtual void shutdown() = 0;
};

/// A registered transport: its name and how to make one.
struct TransportFactory {
  std::string_view name;
  std::unique_ptr<Transport> (*create)(const TransportOptions &);
};

/// The transports compiled in, in an explicit list.
std::span<const TransportFactory> transports();
/// Makes the transport called \p name, or explains which names exist.
Expected<std::unique_ptr<Transport>>
make_transport(std::string_view name, const TransportOptions &options);

} // namespace nu::net
