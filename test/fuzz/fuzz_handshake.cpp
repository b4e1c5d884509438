// Fuzzes the cluster handshake's parsers (runtime/net/Handshake.hpp) on any
// bytes, and the proofs computed from what parsed (docs/security.md).
#include "Handshake.hpp"

#include "nu/net/secret.hpp"
#include "nu/wire/frame.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace {

namespace hs = nu::net::handshake;
using nu::net::PeerRole;

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_handshake: %s\n", what);
    std::abort();
  }
}

const nu::net::Secret &secret() {
  static const nu::net::Secret s("a fixed fuzzing secret, 32 bytes");
  return s;
}

bool valid_role(PeerRole role) {
  return role == PeerRole::node || role == PeerRole::controller ||
         role == PeerRole::tool;
}

/// What parsed is what was sent: its frame has the same payload.
void check_payload(std::span<const std::byte> in, const nu::detail::Bytes &f) {
  auto sent = in.subspan(nu::wire::kHeaderSize);
  auto again = std::span(f).subspan(nu::wire::kHeaderSize);
  check(std::ranges::equal(sent, again), "a message does not encode back");
}

void on_hello(std::span<const std::byte> in, const hs::Hello &hello) {
  check(valid_role(hello.role), "a hello with an unknown role passed");
  check_payload(in, hs::frame(hello));
  hs::Nonce nonce{};
  hs::Mac mac = hs::server_mac(secret(), hello, PeerRole::controller, nonce);
  check(hs::same(mac,
                 hs::server_mac(secret(), hello, PeerRole::controller, nonce)),
        "server_mac is not a function of its inputs");
}

void on_challenge(std::span<const std::byte> in, const hs::Challenge &c) {
  check(valid_role(c.role), "a challenge with an unknown role passed");
  check_payload(in, hs::frame(c));
  hs::Hello hello{PeerRole::node, hs::Nonce{}};
  hs::Mac client = hs::client_mac(secret(), hello, c);
  hs::Mac server = hs::server_mac(secret(), hello, c.role, c.nonce);
  check(!hs::same(client, server), "client and server proofs agree");
}

void on_proof(std::span<const std::byte> in, const hs::Proof &proof) {
  check_payload(in, hs::frame(proof));
  check(hs::same(proof.mac, proof.mac), "a proof differs from itself");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  auto in = std::as_bytes(std::span(data, size));
  if (auto hello = hs::parse_hello(in))
    on_hello(in, *hello);
  if (auto challenge = hs::parse_challenge(in))
    on_challenge(in, *challenge);
  if (auto proof = hs::parse_proof(in))
    on_proof(in, *proof);
  return 0;
}
