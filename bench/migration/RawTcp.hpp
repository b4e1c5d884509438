// Plain blocking TCP between the benchmark's two processes, the physical
// limit a migration is held against: a sink/echo server and its client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace migbench {

/// Listens on 127.0.0.1 (any free port) from a detached thread of this
/// process and returns the port. Each connection takes requests (an 8-byte
/// length, then that many bytes) and answers each with 64 bytes.
int start_tcp_server();

/// One connection to a start_tcp_server() port.
class TcpClient {
public:
  explicit TcpClient(int port);
  ~TcpClient();
  TcpClient(const TcpClient &) = delete;
  TcpClient &operator=(const TcpClient &) = delete;

  /// Sends a request of `bytes` bytes of `payload`, waits for the answer and
  /// returns the seconds it took.
  double exchange(const std::vector<std::uint8_t> &payload, std::size_t bytes);

private:
  int fd_ = -1;
};

} // namespace migbench
