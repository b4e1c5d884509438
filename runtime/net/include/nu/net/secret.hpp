// The cluster secret every member of a logical process proves it knows:
// read from a file only its owner may read, wiped from memory when dropped.
#pragma once

#include "nu/detail/expected.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace nu::net {

/// A shared cluster secret: the bytes of its file, one trailing newline
/// dropped. Not copyable; its bytes are wiped when it is destroyed.
class Secret {
public:
  static constexpr std::size_t kMinBytes = 16;
  static constexpr std::size_t kMaxBytes = 4096;

  explicit Secret(std::string bytes);
  ~Secret();
  Secret(const Secret &) = delete;
  Secret &operator=(const Secret &) = delete;

  std::span<const std::byte> bytes() const {
    return std::as_bytes(std::span(bytes_.data(), bytes_.size()));
  }

private:
  std::string bytes_;
};

/// The environment variable naming the secret file when no flag does.
inline constexpr const char *kSecretFileVariable = "NU_SECRET_FILE";

/// Reads the secret at \p path: a regular file that neither group nor
/// others may read or write, of kMinBytes..kMaxBytes bytes. The failure
/// names the file and what to do.
detail::Expected<std::shared_ptr<const Secret>>
read_secret_file(const std::string &path);

/// The secret of the file \p flag_path names, or else of the file named by
/// NU_SECRET_FILE; null when neither names one.
detail::Expected<std::shared_ptr<const Secret>>
find_secret(const std::string &flag_path);

/// 32 random bytes: for a logical process that lives in one process.
std::shared_ptr<const Secret> random_secret();

/// True if \p address ("HOST:PORT", or "" for the default) can only be
/// reached from this machine: "", 127.0.0.0/8, ::1 or localhost.
bool is_loopback(std::string_view address);

/// Protected mode: listening at \p address without a secret is refused
/// beyond loopback unless \p insecure; the failure names \p flags (how to
/// give a secret, how to opt out).
detail::Expected<void> check_protected_mode(std::string_view address,
                                            bool has_secret, bool insecure,
                                            std::string_view flags);

} // namespace nu::net
