// A connection of the authenticated transport: runs its side of the
// cluster handshake, then passes frames straight through.
#pragma once

#include "Handshake.hpp"
#include "nu/log/log.hpp"
#include "nu/net/authenticated.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nu::net {

/// What every connection of one authenticated transport shares.
struct AuthSettings {
  std::shared_ptr<const Secret> secret;
  PeerRole role = PeerRole::node;
  AuthOptions options;
  log::RateLimit refusals;
};

class AuthConnection final
    : public Connection,
      public std::enable_shared_from_this<AuthConnection> {
public:
  using Clock = std::chrono::steady_clock;
  enum class Side { client, server };

  AuthConnection(std::shared_ptr<AuthSettings> settings,
                 std::shared_ptr<const Handlers> handlers, Side side,
                 std::string address);

  std::error_code send(Bytes frame) override;
  void close() override;
  const std::string &peer_address() const override { return address_; }
  PeerRole peer_role() const override { return peer_role_.load(); }

  /// Client: takes the inner connection and sends the Hello. Server: takes
  /// the inner connection whose first frame is about to arrive.
  void start(std::shared_ptr<Connection> inner);
  /// A frame from the inner connection.
  void on_frame(Bytes frame);
  /// The inner connection closed.
  void on_close(std::error_code error);
  /// Closes the connection if its handshake is still running at \p now.
  void expire(Clock::time_point now);

private:
  enum class State { handshaking, open, closed };

  void client_step(std::span<const std::byte> frame);
  void server_step(std::span<const std::byte> frame);
  void refuse(AuthErrc why, const std::string &reason);

  const std::shared_ptr<AuthSettings> settings_;
  const std::shared_ptr<const Handlers> handlers_;
  const Side side_;
  const std::string address_;
  const Clock::time_point deadline_;
  std::atomic<State> state_{State::handshaking};
  std::atomic<PeerRole> peer_role_{PeerRole::unknown};

  std::mutex mu_; // the handshake, the queue, inner_ while it is set
  std::shared_ptr<Connection> inner_;
  std::vector<Bytes> queued_;    // client sends before the handshake ended
  bool close_when_open_ = false; // client: close() came with frames queued
  handshake::Hello hello_;       // client: ours; server: the peer's
  handshake::Nonce nonce_{};     // server: ours
  bool got_hello_ = false;       // server
  std::error_code failure_;      // why the handshake failed
};

} // namespace nu::net
