// The cluster handshake's messages: building and parsing their frames, and
// the HMAC proofs (OpenSSL; no cryptography of our own).
#include "Handshake.hpp"

#include "nu/wire/frame.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nu::net::handshake {
namespace {

using detail::Failure;

constexpr std::string_view kServerLabel = "nu cluster handshake 1: server";
constexpr std::string_view kClientLabel = "nu cluster handshake 1: client";
constexpr std::size_t kHelloBytes = 2 + kNonceBytes;
constexpr std::size_t kChallengeBytes = 1 + kNonceBytes + kMacBytes;

Mac mac_of(const Secret &secret, std::string_view label, const Hello &hello,
           PeerRole server_role, const Nonce &server_nonce) {
  std::vector<unsigned char> text(label.begin(), label.end());
  text.push_back(static_cast<unsigned char>(hello.role));
  for (std::byte b : hello.nonce)
    text.push_back(static_cast<unsigned char>(b));
  text.push_back(static_cast<unsigned char>(server_role));
  for (std::byte b : server_nonce)
    text.push_back(static_cast<unsigned char>(b));
  Mac out{};
  unsigned int size = 0;
  auto key = secret.bytes();
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), text.data(),
           text.size(), reinterpret_cast<unsigned char *>(out.data()),
           &size) == nullptr ||
      size != kMacBytes)
    throw std::runtime_error("nu: HMAC-SHA256 failed in OpenSSL");
  return out;
}

Failure malformed(std::string what) {
  return Failure{std::make_error_code(std::errc::bad_message),
                 "not a cluster handshake: " + std::move(what)};
}

bool valid_role(std::byte b) {
  auto v = static_cast<std::uint8_t>(b);
  return v >= static_cast<std::uint8_t>(PeerRole::node) &&
         v <= static_cast<std::uint8_t>(PeerRole::tool);
}

Bytes frame_of(Step step, std::span<const std::byte> payload) {
  Bytes out = wire::start_frame();
  out.insert(out.end(), payload.begin(), payload.end());
  wire::FrameHeader header;
  header.kind = wire::FrameKind::Hello;
  header.request_id = static_cast<std::uint64_t>(step);
  wire::finish_frame(out, header);
  return out;
}

/// The payload of a whole frame of \p step, exactly \p size bytes long.
detail::Expected<std::span<const std::byte>>
payload_of(std::span<const std::byte> frame, Step step, std::size_t size) {
  auto view = wire::parse_frame(frame);
  if (!view)
    return malformed(view.failure().message);
  if (view->header.kind != wire::FrameKind::Hello)
    return malformed("a frame of kind " +
                     std::to_string(static_cast<int>(view->header.kind)) +
                     " came first");
  if (view->header.request_id != static_cast<std::uint64_t>(step))
    return malformed(
        "step " + std::to_string(view->header.request_id) + " where step " +
        std::to_string(static_cast<std::uint64_t>(step)) + " belongs");
  if (view->payload.size() != size)
    return malformed("step " +
                     std::to_string(static_cast<std::uint64_t>(step)) + " of " +
                     std::to_string(view->payload.size()) + " bytes");
  return view->payload;
}

template <std::size_t N>
void copy_to(std::array<std::byte, N> &out, std::span<const std::byte> in) {
  std::copy_n(in.begin(), N, out.begin());
}

} // namespace

Nonce fresh_nonce() {
  Nonce nonce{};
  if (RAND_bytes(reinterpret_cast<unsigned char *>(nonce.data()),
                 static_cast<int>(nonce.size())) != 1)
    throw std::runtime_error("nu: OpenSSL's random generator failed");
  return nonce;
}

Mac server_mac(const Secret &secret, const Hello &hello, PeerRole role,
               const Nonce &nonce) {
  return mac_of(secret, kServerLabel, hello, role, nonce);
}

Mac client_mac(const Secret &secret, const Hello &hello,
               const Challenge &challenge) {
  return mac_of(secret, kClientLabel, hello, challenge.role, challenge.nonce);
}

bool same(const Mac &a, const Mac &b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Bytes frame(const Hello &hello) {
  std::array<std::byte, kHelloBytes> p{};
  p[0] = std::byte{kVersion};
  p[1] = static_cast<std::byte>(hello.role);
  std::copy(hello.nonce.begin(), hello.nonce.end(), p.begin() + 2);
  return frame_of(Step::hello, p);
}

Bytes frame(const Challenge &challenge) {
  std::array<std::byte, kChallengeBytes> p{};
  p[0] = static_cast<std::byte>(challenge.role);
  std::copy(challenge.nonce.begin(), challenge.nonce.end(), p.begin() + 1);
  std::copy(challenge.mac.begin(), challenge.mac.end(),
            p.begin() + 1 + kNonceBytes);
  return frame_of(Step::challenge, p);
}

Bytes frame(const Proof &proof) { return frame_of(Step::proof, proof.mac); }

detail::Expected<Hello> parse_hello(std::span<const std::byte> frame) {
  auto p = payload_of(frame, Step::hello, kHelloBytes);
  if (!p)
    return p.failure();
  if ((*p)[0] != std::byte{kVersion})
    return malformed("version " + std::to_string(static_cast<int>((*p)[0])) +
                     " (this build speaks " + std::to_string(kVersion) + ")");
  if (!valid_role((*p)[1]))
    return malformed("an unknown role");
  Hello hello;
  hello.role = static_cast<PeerRole>((*p)[1]);
  copy_to(hello.nonce, p->subspan(2));
  return hello;
}

detail::Expected<Challenge> parse_challenge(std::span<const std::byte> frame) {
  auto p = payload_of(frame, Step::challenge, kChallengeBytes);
  if (!p)
    return p.failure();
  if (!valid_role((*p)[0]))
    return malformed("an unknown role");
  Challenge challenge;
  challenge.role = static_cast<PeerRole>((*p)[0]);
  copy_to(challenge.nonce, p->subspan(1));
  copy_to(challenge.mac, p->subspan(1 + kNonceBytes));
  return challenge;
}

detail::Expected<Proof> parse_proof(std::span<const std::byte> frame) {
  auto p = payload_of(frame, Step::proof, kMacBytes);
  if (!p)
    return p.failure();
  Proof proof;
  copy_to(proof.mac, *p);
  return proof;
}

} // namespace nu::net::handshake
