// The loaded form of nu/net/tls.hpp's TlsConfig: one Asio SSL context
// (client and server roles alike) for every connection of a transport.
#pragma once

#include "nu/net/tls.hpp"

#include <asio/ssl.hpp>

namespace nu::net {

class TlsConfig {
public:
  TlsConfig() : context_(asio::ssl::context::tls) {}
  /// OpenSSL's SSL_CTX is safe to share once configured: streams made on
  /// any thread use it.
  asio::ssl::context &context() const { return context_; }

private:
  mutable asio::ssl::context context_;
};

} // namespace nu::net
