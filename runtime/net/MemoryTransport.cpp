// The in-memory transport: a hub of named listeners, and transports that
// listen and connect in it, each delivering on its own threads.
#include "nu/net/memory_transport.hpp"

#include "MemoryTransportImpl.hpp"

#include <algorithm>
#include <map>
#include <optional>

namespace nu::net {
namespace memory {
namespace {

Failure failure(std::errc code, std::string message) {
  return {std::make_error_code(code), std::move(message)};
}

Failure shut_down() {
  return failure(std::errc::operation_canceled,
                 "in-memory transport is shut down");
}

} // namespace

} // namespace memory

// The names in-memory transports listen at.
struct MemoryHub::Impl {
  std::mutex mutex;
  std::map<std::string, memory::Listener, std::less<>> listeners;
  std::uint64_t next_port = 1;
  std::uint64_t next_ephemeral = 1;

  bool taken(const std::string &address) const {
    auto it = listeners.find(address);
    return it != listeners.end() && !it->second.core.expired();
  }

  Expected<std::string> claim(std::string address, memory::Listener listener) {
    std::lock_guard lock(mutex);
    while (address.empty())
      if (auto name = "mem:" + std::to_string(next_port++); !taken(name))
        address = std::move(name);
    if (taken(address))
      return memory::failure(std::errc::address_in_use,
                             "in-memory address '" + address +
                                 "' is already in use");
    listeners[address] = std::move(listener);
    return address;
  }

  std::optional<memory::Listener> find(const std::string &address) {
    std::lock_guard lock(mutex);
    auto it = listeners.find(address);
    if (it == listeners.end())
      return std::nullopt;
    return it->second;
  }

  void release(const std::vector<std::string> &addresses) {
    std::lock_guard lock(mutex);
    for (const auto &address : addresses)
      listeners.erase(address);
  }

  // The address the accepting side sees a connecting peer at.
  std::string ephemeral() {
    std::lock_guard lock(mutex);
    return "mem:~" + std::to_string(next_ephemeral++);
  }
};

MemoryHub::MemoryHub() : impl_(std::make_unique<Impl>()) {}
MemoryHub::~MemoryHub() = default;

namespace memory {

Core::Core(std::shared_ptr<MemoryHub> hub, unsigned threads)
    : hub_(std::move(hub)) {
  for (unsigned i = 0; i < std::max(threads, 1u); ++i)
    lanes_.push_back(std::make_unique<DeliveryLane>());
}

void Core::start() {
  for (auto &lane : lanes_)
    lane->start(shared_from_this());
}

Expected<std::string> Core::listen(const std::string &address,
                                   Handlers handlers) {
  if (!address.empty() && (!address.starts_with("mem:") || address.size() == 4))
    return failure(std::errc::invalid_argument,
                   "in-memory address '" + address +
                       "' is not of the form 'mem:<name>'");
  std::lock_guard lock(mutex_);
  if (stopping_)
    return shut_down();
  auto shared = std::make_shared<const Handlers>(std::move(handlers));
  auto claimed = hub_->impl().claim(address, {weak_from_this(), shared});
  if (claimed)
    addresses_.push_back(*claimed);
  return claimed;
}

Expected<std::shared_ptr<Connection>> Core::connect(const std::string &address,
                                                    Handlers handlers) {
  auto listener = hub_->impl().find(address);
  auto remote = listener ? listener->core.lock() : nullptr;
  auto refused =
      failure(std::errc::connection_refused,
              "no in-memory transport listening at '" + address + "'");
  if (!remote)
    return refused;
  auto link = std::make_shared<Link>();
  auto mine = std::make_shared<Endpoint>(
      link, 0, shared_from_this(),
      std::make_shared<const Handlers>(std::move(handlers)), address);
  auto theirs = std::make_shared<Endpoint>(link, 1, remote, listener->handlers,
                                           hub_->impl().ephemeral());
  link->ends = {mine, theirs};
  // Adopted under the link's lock: a racing shutdown closes both or none.
  std::lock_guard lock(link->mutex);
  if (!adopt(mine))
    return shut_down();
  if (!remote->adopt(theirs)) {
    forget(mine.get());
    return refused;
  }
  return std::shared_ptr<Connection>(std::move(mine));
}

bool Core::adopt(const std::shared_ptr<Endpoint> &endpoint) {
  std::lock_guard lock(mutex_);
  if (stopping_)
    return false;
  open_.emplace(endpoint.get(), endpoint);
  return true;
}

void Core::forget(const Endpoint *endpoint) {
  std::lock_guard lock(mutex_);
  open_.erase(endpoint);
}

void Core::shutdown() {
  std::vector<std::string> addresses;
  std::vector<std::shared_ptr<Endpoint>> open;
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      return;
    stopping_ = true;
    addresses.swap(addresses_);
    for (const auto &entry : open_)
      open.push_back(entry.second);
  }
  hub_->impl().release(addresses);
  auto canceled = std::make_error_code(std::errc::operation_canceled);
  for (const auto &endpoint : open)
    endpoint->close_as(endpoint->side(), canceled);
  for (auto &lane : lanes_)
    lane->stop();
}

// The Transport: a handle on a Core, shut down when destroyed.
class MemoryTransport final : public Transport {
public:
  explicit MemoryTransport(const TransportOptions &options)
      : core_(std::make_shared<Core>(options.memory_hub
                                         ? options.memory_hub
                                         : std::make_shared<MemoryHub>(),
                                     options.io_threads)) {
    core_->start();
  }
  ~MemoryTransport() override { core_->shutdown(); }

  std::string_view name() const override { return "memory"; }
  Expected<std::string> listen(const std::string &address,
                               Handlers handlers) override {
    return core_->listen(address, std::move(handlers));
  }
  Expected<std::shared_ptr<Connection>> connect(const std::string &address,
                                                Handlers handlers) override {
    return core_->connect(address, std::move(handlers));
  }
  void shutdown() override { core_->shutdown(); }

private:
  std::shared_ptr<Core> core_;
};

} // namespace memory

std::unique_ptr<Transport>
make_memory_transport(const TransportOptions &options) {
  return std::make_unique<memory::MemoryTransport>(options);
}

} // namespace nu::net
