// The few socket calls the server needs: listening at HOST:PORT, the port
// a socket got, the peer's address, and writing a whole buffer.
#pragma once

#include <string>
#include <string_view>

namespace kv {

/// A listening TCP socket at \p host:\p port (0: any free port), or -1
/// with \p error set ("Address already in use", ...).
int listen_at(const std::string &host, int port, std::string &error);

/// The local port of socket \p fd.
int local_port(int fd);

/// The address of \p fd's peer, "HOST:PORT" ("[HOST]:PORT" for IPv6;
/// "local" for a Unix socket, "?" when unknown), for diagnostics.
std::string peer_name(int fd);

/// Writes all of \p data (retrying on short writes and EINTR; no SIGPIPE);
/// false when the peer is gone.
bool write_all(int fd, std::string_view data);

} // namespace kv
