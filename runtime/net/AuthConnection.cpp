// One authenticated connection: the client and server halves of the
// cluster handshake, the queue of early sends, and the refusal paths.
#include "AuthConnection.hpp"

namespace nu::net {

AuthConnection::AuthConnection(std::shared_ptr<AuthSettings> settings,
                               std::shared_ptr<const Handlers> handlers,
                               Side side, std::string address)
    : settings_(std::move(settings)), handlers_(std::move(handlers)),
      side_(side), address_(std::move(address)),
      deadline_(Clock::now() + settings_->options.handshake_timeout) {}

void AuthConnection::start(std::shared_ptr<Connection> inner) {
  std::scoped_lock lock(mu_);
  inner_ = std::move(inner);
  if (side_ == Side::server || state_.load() != State::handshaking)
    return;
  hello_ = handshake::Hello{settings_->role, handshake::fresh_nonce()};
  (void)inner_->send(handshake::frame(hello_));
}

std::error_code AuthConnection::send(Bytes frame) {
  if (state_.load(std::memory_order_acquire) == State::open)
    return inner_->send(std::move(frame));
  std::scoped_lock lock(mu_);
  if (failure_)
    return failure_; // why the handshake failed, not just "not connected"
  if (state_.load() != State::handshaking)
    return inner_->send(std::move(frame)); // opened, or its error
  if (close_when_open_)
    return std::make_error_code(std::errc::not_connected);
  queued_.push_back(std::move(frame));
  return {};
}

void AuthConnection::close() {
  std::shared_ptr<Connection> inner;
  {
    std::scoped_lock lock(mu_);
    // What was queued goes first, as it would have without the handshake.
    if (state_.load() == State::handshaking && !queued_.empty()) {
      close_when_open_ = true;
      return;
    }
    inner = inner_;
  }
  if (inner)
    inner->close();
}

void AuthConnection::on_frame(Bytes frame) {
  if (state_.load(std::memory_order_acquire) == State::open)
    return handlers_->on_frame(shared_from_this(), std::move(frame));
  std::scoped_lock lock(mu_);
  if (state_.load() != State::handshaking)
    return; // refused: the inner connection is closing
  if (side_ == Side::client)
    return client_step(frame);
  server_step(frame);
}

void AuthConnection::client_step(std::span<const std::byte> frame) {
  auto challenge = handshake::parse_challenge(frame);
  if (!challenge)
    return refuse(AuthErrc::refused, challenge.failure().message);
  auto expected = handshake::server_mac(*settings_->secret, hello_,
                                        challenge->role, challenge->nonce);
  if (!handshake::same(challenge->mac, expected))
    return refuse(AuthErrc::refused,
                  "the peer does not know the cluster secret");
  handshake::Proof proof{
      handshake::client_mac(*settings_->secret, hello_, *challenge)};
  (void)inner_->send(handshake::frame(proof));
  for (Bytes &early : queued_)
    (void)inner_->send(std::move(early));
  queued_.clear();
  peer_role_.store(challenge->role);
  state_.store(State::open, std::memory_order_release);
  if (close_when_open_)
    inner_->close();
}

void AuthConnection::server_step(std::span<const std::byte> frame) {
  if (!got_hello_) {
    auto hello = handshake::parse_hello(frame);
    if (!hello)
      return refuse(AuthErrc::refused, hello.failure().message);
    hello_ = *hello;
    nonce_ = handshake::fresh_nonce();
    got_hello_ = true;
    handshake::Challenge challenge{
        settings_->role, nonce_,
        handshake::server_mac(*settings_->secret, hello_, settings_->role,
                              nonce_)};
    (void)inner_->send(handshake::frame(challenge));
    return;
  }
  auto proof = handshake::parse_proof(frame);
  if (!proof)
    return refuse(AuthErrc::refused, proof.failure().message);
  handshake::Challenge ours{settings_->role, nonce_, {}};
  if (!handshake::same(proof->mac,
                       handshake::client_mac(*settings_->secret, hello_, ours)))
    return refuse(AuthErrc::refused,
                  "the peer does not know the cluster secret");
  peer_role_.store(hello_.role);
  state_.store(State::open, std::memory_order_release);
}

// Called with mu_ held.
void AuthConnection::refuse(AuthErrc why, const std::string &reason) {
  failure_ = why;
  log::limited(settings_->refusals, log::get("net"), log::Level::warn,
               "{} {}: {}",
               side_ == Side::server ? "refused a connection from"
                                     : "cannot authenticate to",
               address_, reason);
  if (inner_)
    inner_->close();
}

void AuthConnection::expire(Clock::time_point now) {
  if (now < deadline_ || state_.load() != State::handshaking)
    return;
  std::scoped_lock lock(mu_);
  if (state_.load() == State::handshaking && !failure_)
    refuse(AuthErrc::timed_out, "the handshake did not finish in time");
}

void AuthConnection::on_close(std::error_code error) {
  std::error_code failure;
  State was;
  {
    std::scoped_lock lock(mu_);
    was = state_.exchange(State::closed);
    failure = failure_;
    queued_.clear();
  }
  if (was == State::open)
    return handlers_->on_close(shared_from_this(), error);
  // A server's user never saw this connection. A client's did: it learns
  // why its handshake failed (or nothing, if it closed the connection).
  if (was != State::handshaking || side_ == Side::server)
    return;
  if (!failure && error)
    failure = AuthErrc::refused; // the peer closed during the handshake
  handlers_->on_close(shared_from_this(), failure ? failure : error);
}

} // namespace nu::net
