// The cluster handshake's three messages and their proofs: a mutual
// challenge-response over the shared secret (HMAC-SHA256, fresh nonces).
#pragma once

#include "nu/detail/expected.hpp"
#include "nu/net/secret.hpp"
#include "nu/net/transport.hpp"

#include <array>
#include <cstddef>
#include <span>

namespace nu::net::handshake {

// The connecting side (client) and the accepting side (server):
//   1 Hello      client -> server  {version, client role, client nonce}
//   2 Challenge  server -> client  {server role, server nonce, server mac}
//   3 Proof      client -> server  {client mac}
// Each mac is HMAC-SHA256(secret, label | client role | client nonce |
// server role | server nonce), with a different label per side, so a
// proof cannot be reflected, and each side's fresh nonce makes a recorded
// proof useless on another connection.

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kNonceBytes = 32;
constexpr std::size_t kMacBytes = 32;
using Nonce = std::array<std::byte, kNonceBytes>;
using Mac = std::array<std::byte, kMacBytes>;

enum class Step : std::uint64_t { hello = 1, challenge = 2, proof = 3 };

struct Hello {
  PeerRole role = PeerRole::unknown;
  Nonce nonce{};
};
struct Challenge {
  PeerRole role = PeerRole::unknown;
  Nonce nonce{};
  Mac mac{};
};
struct Proof {
  Mac mac{};
};

/// Random bytes from OpenSSL's generator.
Nonce fresh_nonce();
/// What the server sends to prove it knows the secret.
Mac server_mac(const Secret &secret, const Hello &hello, PeerRole role,
               const Nonce &nonce);
/// What the client sends to prove it knows the secret.
Mac client_mac(const Secret &secret, const Hello &hello,
               const Challenge &challenge);
/// Compares in constant time.
bool same(const Mac &a, const Mac &b);

/// Whole frames (kind Hello, request_id = the step).
Bytes frame(const Hello &hello);
Bytes frame(const Challenge &challenge);
Bytes frame(const Proof &proof);

/// Parse a whole frame; a failure says what was wrong (never a secret).
detail::Expected<Hello> parse_hello(std::span<const std::byte> frame);
detail::Expected<Challenge> parse_challenge(std::span<const std::byte> frame);
detail::Expected<Proof> parse_proof(std::span<const std::byte> frame);

} // namespace nu::net::handshake
