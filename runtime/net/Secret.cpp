// Reading the cluster secret from its file, refusing files that others may
// read, and wiping the bytes when the secret goes.
#include "nu/net/secret.hpp"
#include "OwnerOnly.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace nu::net {
namespace {

using detail::Failure;

constexpr std::size_t kChunk = 1024;

struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0)
      ::close(fd);
  }
};

Failure failure(std::errc code, std::string message) {
  return Failure{std::make_error_code(code), std::move(message)};
}

Failure system_failure(const std::string &path, const char *what) {
  int error = errno;
  return Failure{std::error_code(error, std::generic_category()),
                 "the secret file " + path + ": " + what + ": " +
                     std::strerror(error)};
}

detail::Expected<std::string> read_all(int fd, const std::string &path) {
  std::string bytes;
  bytes.reserve(Secret::kMaxBytes + kChunk); // never reallocated: no copies
  for (;;) {
    char *end = bytes.data() + bytes.size();
    bytes.resize(bytes.size() + kChunk);
    ssize_t n = ::read(fd, end, kChunk);
    bytes.resize(bytes.size() - kChunk + (n > 0 ? n : 0));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return system_failure(path, "cannot read it");
    if (n == 0)
      return bytes;
    if (bytes.size() > Secret::kMaxBytes + 1) // the newline dropped later
      return failure(std::errc::file_too_large,
                     "the secret file " + path + " holds more than " +
                         std::to_string(Secret::kMaxBytes) + " bytes");
  }
}

} // namespace

detail::Expected<void> check_owner_only(std::string_view kind,
                                        const std::string &path,
                                        const struct stat &st) {
  const std::string what = std::string(kind) + " " + path;
  if (!S_ISREG(st.st_mode))
    return failure(std::errc::invalid_argument,
                   what + " is not a regular file");
  if ((st.st_mode & 077) == 0)
    return {};
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o",
                static_cast<unsigned>(st.st_mode & 07777));
  return failure(std::errc::permission_denied,
                 what + " may be read or written by group or others (mode " +
                     mode + "); run: chmod 600 " + path);
}

Secret::Secret(std::string bytes) : bytes_(std::move(bytes)) {}

Secret::~Secret() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

detail::Expected<std::shared_ptr<const Secret>>
read_secret_file(const std::string &path) {
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0)
    return system_failure(path, "cannot open it");
  struct stat st {};
  if (::fstat(file.fd, &st) != 0)
    return system_failure(path, "cannot stat it");
  if (auto mode = check_owner_only("the secret file", path, st); !mode)
    return mode.failure();
  auto bytes = read_all(file.fd, path);
  if (!bytes)
    return bytes.failure();
  if (!bytes->empty() && bytes->back() == '\n')
    bytes->pop_back();
  auto secret = std::make_shared<const Secret>(std::move(*bytes));
  if (secret->bytes().size() < Secret::kMinBytes)
    return failure(std::errc::invalid_argument,
                   "the secret file " + path + " holds " +
                       std::to_string(secret->bytes().size()) +
                       " bytes; at least " + std::to_string(Secret::kMinBytes) +
                       " are needed (e.g. head -c 32 /dev/urandom | base64 > " +
                       path + ")");
  return secret;
}

detail::Expected<std::shared_ptr<const Secret>>
find_secret(const std::string &flag_path) {
  if (!flag_path.empty())
    return read_secret_file(flag_path);
  const char *from_environment = std::getenv(kSecretFileVariable);
  if (from_environment == nullptr || *from_environment == '\0')
    return std::shared_ptr<const Secret>();
  return read_secret_file(from_environment);
}

std::shared_ptr<const Secret> random_secret() {
  std::string bytes(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char *>(bytes.data()),
                 static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("nu: OpenSSL's random generator failed");
  return std::make_shared<const Secret>(std::move(bytes));
}

bool is_loopback(std::string_view address) {
  if (address.empty())
    return true;
  std::string_view host = address.substr(0, address.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

detail::Expected<void> check_protected_mode(std::string_view address,
                                            bool has_secret, bool insecure,
                                            std::string_view flags) {
  if (has_secret || insecure || is_loopback(address))
    return {};
  return failure(std::errc::operation_not_permitted,
                 "refusing to listen at " + std::string(address) +
                     " without a cluster secret: anyone who reaches it could "
                     "join or command the logical process (" +
                     std::string(flags) + ")");
}

} // namespace nu::net
