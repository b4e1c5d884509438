// The authenticated transport: wraps another transport's handlers so each
// connection runs the cluster handshake first; a thread expires slow ones.
#include "AuthConnection.hpp"

#include <condition_variable>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

namespace nu::net {
namespace {

class AuthCategory final : public std::error_category {
public:
  const char *name() const noexcept override { return "nu.net.auth"; }
  std::string message(int code) const override {
    switch (static_cast<AuthErrc>(code)) {
    case AuthErrc::refused:
      return "cluster authentication failed (the peer has another secret "
             "or none, or only one side uses TLS)";
    case AuthErrc::timed_out:
      return "cluster authentication timed out";
    }
    return "unknown cluster authentication error";
  }
};

using AuthPtr = std::shared_ptr<AuthConnection>;
using ConnectionPtr = std::shared_ptr<Connection>;

/// The connections of one transport by their inner connection, and the
/// thread that closes those whose handshake takes too long.
class Registry {
public:
  explicit Registry(std::shared_ptr<AuthSettings> settings)
      : settings(std::move(settings)) {
    sweeper_ = std::thread([this] { sweep(); });
  }
  ~Registry() { stop(); }

  AuthPtr find(const Connection *inner) {
    std::shared_lock lock(mu_);
    auto it = conns_.find(inner);
    return it == conns_.end() ? nullptr : it->second;
  }
  void add(const Connection *inner, AuthPtr conn) {
    std::unique_lock lock(mu_);
    conns_.emplace(inner, std::move(conn));
  }
  AuthPtr take(const Connection *inner) {
    std::unique_lock lock(mu_);
    auto node = conns_.extract(inner);
    return node.empty() ? nullptr : std::move(node.mapped());
  }
  void stop() {
    {
      std::scoped_lock lock(stop_mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    if (sweeper_.joinable() && sweeper_.get_id() != std::this_thread::get_id())
      sweeper_.join();
  }

  const std::shared_ptr<AuthSettings> settings;

private:
  void sweep() {
    auto period = std::max(settings->options.handshake_timeout / 4,
                           std::chrono::milliseconds(10));
    std::unique_lock lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      std::vector<AuthPtr> all;
      {
        std::shared_lock read(mu_);
        for (const auto &[inner, conn] : conns_)
          all.push_back(conn);
      }
      auto now = AuthConnection::Clock::now();
      for (const AuthPtr &conn : all)
        conn->expire(now);
      lock.lock();
    }
  }

  std::shared_mutex mu_;
  std::unordered_map<const Connection *, AuthPtr> conns_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

class AuthenticatedTransport final : public Transport {
public:
  AuthenticatedTransport(std::unique_ptr<Transport> inner,
                         std::shared_ptr<AuthSettings> settings)
      : inner_(std::move(inner)),
        registry_(std::make_shared<Registry>(std::move(settings))) {}
  ~AuthenticatedTransport() override { shutdown(); }

  std::string_view name() const override { return inner_->name(); }

  Expected<std::string> listen(const std::string &address,
                               Handlers handlers) override {
    auto user = std::make_shared<const Handlers>(std::move(handlers));
    Handlers h;
    h.on_frame = [registry = registry_, user](const ConnectionPtr &inner,
                                              Bytes frame) {
      AuthPtr conn = registry->find(inner.get());
      if (!conn) {
        conn = std::make_shared<AuthConnection>(registry->settings, user,
                                                AuthConnection::Side::server,
                                                inner->peer_address());
        conn->start(inner);
        registry->add(inner.get(), conn);
      }
      conn->on_frame(std::move(frame));
    };
    h.on_close = closer();
    return inner_->listen(address, std::move(h));
  }

  Expected<ConnectionPtr> connect(const std::string &address,
                                  Handlers handlers) override {
    auto conn = std::make_shared<AuthConnection>(
        registry_->settings,
        std::make_shared<const Handlers>(std::move(handlers)),
        AuthConnection::Side::client, address);
    std::weak_ptr<AuthConnection> weak = conn;
    Handlers h;
    h.on_frame = [weak](const ConnectionPtr &, Bytes frame) {
      if (AuthPtr c = weak.lock())
        c->on_frame(std::move(frame));
    };
    h.on_close = [weak, close = closer()](const ConnectionPtr &inner,
                                          std::error_code error) {
      if (AuthPtr c = weak.lock(); c && !close(inner, error))
        c->on_close(error); // closed before connect() registered it
    };
    auto inner = inner_->connect(address, std::move(h));
    if (!inner)
      return inner.failure();
    registry_->add(inner->get(), conn);
    conn->start(*inner);
    return ConnectionPtr(conn);
  }

  void shutdown() override {
    inner_->shutdown();
    registry_->stop();
  }

private:
  /// Forgets the connection and tells it; false if it was not registered.
  std::function<bool(const ConnectionPtr &, std::error_code)> closer() const {
    return [registry = registry_](const ConnectionPtr &inner,
                                  std::error_code error) {
      AuthPtr conn = registry->take(inner.get());
      if (conn)
        conn->on_close(error);
      return conn != nullptr;
    };
  }

  std::unique_ptr<Transport> inner_;
  std::shared_ptr<Registry> registry_;
};

} // namespace

const std::error_category &auth_category() {
  static const AuthCategory category;
  return category;
}

std::unique_ptr<Transport>
make_authenticated_transport(std::unique_ptr<Transport> inner,
                             std::shared_ptr<const Secret> secret,
                             PeerRole role, AuthOptions options) {
  auto settings = std::make_shared<AuthSettings>();
  settings->secret = std::move(secret);
  settings->role = role;
  settings->options = options;
  return std::make_unique<AuthenticatedTransport>(std::move(inner),
                                                  std::move(settings));
}

} // namespace nu::net
