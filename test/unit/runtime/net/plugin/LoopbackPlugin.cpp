// A transport plugin for the loader's tests: "loopback-test", the in-memory
// transport (compiled into the plugin) under another name.
#include "nu/net/memory_transport.hpp"

#include "nu/transport_plugin.h"

#include <stdexcept>

namespace {

using namespace nu::net;

class LoopbackTransport final : public Transport {
public:
  explicit LoopbackTransport(const TransportOptions &options)
      : inner_(make_memory_transport(options)) {}

  std::string_view name() const override { return "loopback-test"; }
  Expected<std::string> listen(const std::string &address,
                               Handlers handlers) override {
    return inner_->listen(address, std::move(handlers));
  }
  Expected<std::shared_ptr<Connection>> connect(const std::string &address,
                                                Handlers handlers) override {
    return inner_->connect(address, std::move(handlers));
  }
  void shutdown() override { inner_->shutdown(); }

private:
  std::unique_ptr<Transport> inner_;
};

// Throws for io_threads == 0, to test that the entry point catches it.
std::unique_ptr<Transport> make_loopback(const TransportOptions &options) {
  if (options.io_threads == 0)
    throw std::invalid_argument("loopback-test needs an I/O thread");
  return std::make_unique<LoopbackTransport>(options);
}

} // namespace

NU_DEFINE_TRANSPORT_PLUGIN("loopback-test", make_loopback)
