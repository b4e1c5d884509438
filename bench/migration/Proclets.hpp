// The migration benchmark's proclets: Blob, whose state is a filled byte
// vector, and TcpServer, which starts the raw TCP server on its node.
#pragma once

#include "RawTcp.hpp"
#include "State.hpp"

#include <nu/nu.hpp>

#include <cstdint>
#include <vector>

class [[nu::proclet]] Blob {
public:
  Blob() = default;
  explicit Blob(std::uint64_t Bytes) : Data(migbench::make_state(Bytes)) {}
  int Ping() { return 1; }
  std::uint64_t Size() { return Data.size(); }
  std::uint64_t Checksum() { return migbench::checksum(Data); }

private:
  std::vector<std::uint8_t> Data;
};

class [[nu::proclet]] TcpServer {
public:
  /// Starts the raw TCP server in this node's process; returns its port.
  int Start() { return migbench::start_tcp_server(); }
};
