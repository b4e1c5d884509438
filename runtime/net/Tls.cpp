// Loading a process's TLS settings: its certificate, its key (owner-only),
// the cluster CA; peers must present a certificate the CA signed.
#include "Tls.hpp"
#include "OwnerOnly.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace nu::net {
namespace {

using detail::Failure;

Failure invalid(std::string message) {
  return Failure{std::make_error_code(std::errc::invalid_argument),
                 std::move(message)};
}

/// Why \p files cannot make a TLS setting before any is read: a missing
/// file, or a key others may read.
detail::Expected<void> check_files(const TlsFiles &files) {
  if (files.cert.empty() || files.key.empty() || files.ca.empty())
    return invalid("TLS needs a certificate, a key and a CA file; the " +
                   std::string(files.cert.empty()  ? "certificate"
                               : files.key.empty() ? "key"
                                                   : "CA") +
                   " file is not given");
  struct stat st {};
  if (::stat(files.key.c_str(), &st) != 0)
    return Failure{std::error_code(errno, std::generic_category()),
                   "the TLS key file " + files.key + ": " +
                       std::strerror(errno)};
  return check_owner_only("the TLS key file", files.key, st);
}

/// The failure of loading \p kind file \p path, with OpenSSL's reason.
Failure load_failure(std::string_view kind, const std::string &path,
                     std::error_code error) {
  return invalid("the TLS " + std::string(kind) + " file " + path + ": " +
                 error.message());
}

} // namespace

detail::Expected<std::shared_ptr<const TlsConfig>>
load_tls(const TlsFiles &files) {
  if (files.empty())
    return std::shared_ptr<const TlsConfig>();
  if (auto checked = check_files(files); !checked)
    return checked.failure();
  auto config = std::make_shared<TlsConfig>();
  asio::ssl::context &c = config->context();
  c.set_options(asio::ssl::context::default_workarounds |
                asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  std::error_code error;
  c.use_certificate_chain_file(files.cert, error);
  if (error)
    return load_failure("certificate", files.cert, error);
  c.use_private_key_file(files.key, asio::ssl::context::pem, error);
  if (error) // also a key that does not match the certificate
    return load_failure("key", files.key, error);
  c.load_verify_file(files.ca, error);
  if (error)
    return load_failure("CA", files.ca, error);
  c.set_verify_mode(asio::ssl::verify_peer |
                    asio::ssl::verify_fail_if_no_peer_cert);
  return std::shared_ptr<const TlsConfig>(std::move(config));
}

} // namespace nu::net
