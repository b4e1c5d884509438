// The in-memory transport: nodes in one process exchanging real frames
// (bytes copied, delivered on a separate thread), for tests.
#pragma once

#include "nu/net/transport.hpp"

#include <memory>

namespace nu::net {

/// The namespace in-memory transports listen in ("mem:1", "mem:2", ...).
class MemoryHub {
public:
  MemoryHub();
  ~MemoryHub();
  struct Impl;
  Impl &impl() { return *impl_; }

private:
  std::unique_ptr<Impl> impl_;
};

std::unique_ptr<Transport> make_memory_transport(const TransportOptions &);

} // namespace nu::net
