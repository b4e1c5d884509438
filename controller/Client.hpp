// A connection to the controller over any transport, through an RPC
// endpoint: requests with replies (each bounded by a timeout), one-way
// posts, and frames the controller pushes.
#pragma once

#include "Protocol.hpp"

#include "nu/net/transport.hpp"
#include "nu/rpc/endpoint.hpp"
#include "nu/wire/frame.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>

namespace nu::controller {

/// An empty request or reply body.
struct None {
  template <class A> void serialize(A &) {}
};

/// Thread-safe. Once the connection is lost, every call fails with
/// Errc::unreachable; make a new client to reconnect.
class Client : public std::enable_shared_from_this<Client> {
public:
  /// Called on an I/O thread for each Control frame the controller pushes.
  using PushHandler = std::function<void(Op, std::span<const std::byte>)>;
  using CloseHandler = std::function<void()>;

  /// Connects to the controller at \p address through \p transport.
  static Expected<std::shared_ptr<Client>>
  connect(net::Transport &transport, const std::string &address,
          std::chrono::milliseconds timeout, PushHandler on_push = {},
          CloseHandler on_close = {});
  ~Client();
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;

  /// Sends \p request and decodes the reply as \p Reply.
  template <class Reply, class Request = None>
  Expected<Reply> call(Op op, const Request &request = {}) {
    auto frame = call_raw(op, encode_request(request));
    if (!frame)
      return frame.failure();
    return decode_reply<Reply>(
        std::span<const std::byte>(*frame).subspan(wire::kHeaderSize));
  }
  /// Sends a one-way message.
  template <class Request> void post(Op op, const Request &request) {
    post_raw(op, encode_request(request));
  }
  /// Reads a reply payload as call() does: the failure it carries, or
  /// Errc::unreachable if it does not decode as \p Reply.
  template <class Reply>
  static Expected<Reply> decode_reply(std::span<const std::byte> payload) try {
    detail::Decoder in(payload, detail::SerialContext{});
    ReplyStatus status;
    in(status);
    if (!status.ok)
      return Failure{status.code, status.message};
    Reply reply{};
    in(reply);
    in.finish();
    return reply;
  } catch (const detail::DecodeError &e) {
    return Failure{Errc::unreachable,
                   std::string("malformed reply from the controller: ") +
                       e.what()};
  }
  bool connected() const;
  /// Closes the connection; pending calls fail.
  void close();
  const std::string &address() const { return address_; }

private:
  Client(net::Transport &transport, std::string address,
         std::chrono::milliseconds timeout, PushHandler on_push,
         CloseHandler on_close);
  void start(); // makes the endpoint, whose handlers hold a weak_ptr

  template <class Request>
  static detail::Bytes encode_request(const Request &r) {
    detail::Bytes frame = wire::start_frame();
    detail::encode(frame, detail::SerialContext{}, r);
    return frame;
  }

  Expected<detail::Bytes> call_raw(Op op, detail::Bytes frame);
  void post_raw(Op op, detail::Bytes frame);
  void on_push(const std::shared_ptr<net::Connection> &conn,
               detail::Bytes frame);
  void on_close(std::error_code error = {});
  /// ": why" when the connection closed over an error of its own (a
  /// failed handshake); "" otherwise.
  std::string close_reason() const;
  std::shared_ptr<net::Connection> connection() const;

  net::Transport &transport_;
  std::unique_ptr<rpc::Endpoint> endpoint_;
  const std::string address_;
  const std::chrono::milliseconds timeout_;
  PushHandler on_push_;
  CloseHandler on_close_;

  mutable std::mutex mu_;
  std::shared_ptr<net::Connection> conn_;
  bool closed_ = false;
  std::error_code close_error_;
};

} // namespace nu::controller
