// A connection to the controller over any transport: requests with replies
// (each bounded by a timeout), one-way posts, and frames the controller pushes.
#pragma once

#include "Protocol.hpp"

#include "net/Frame.hpp"
#include "net/Transport.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

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
  static Result<std::shared_ptr<Client>>
  connect(net::Transport &transport, const std::string &address,
          std::chrono::milliseconds timeout, PushHandler on_push = {},
          CloseHandler on_close = {});
  ~Client();
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;

  /// Sends \p request and decodes the reply as \p Reply.
  template <class Reply, class Request = None>
  Result<Reply> call(Op op, const Request &request = {}) {
    auto frame = call_raw(op, encode_request(request));
    if (!frame)
      return frame.error();
    return decode_reply<Reply>(
        std::span<const std::byte>(*frame).subspan(net::kHeaderSize));
  }
  /// Sends a one-way message.
  template <class Request> void post(Op op, const Request &request) {
    post_raw(op, encode_request(request));
  }
  bool connected() const;
  /// Closes the connection; pending calls fail.
  void close();
  const std::string &address() const { return address_; }

private:
  Client(std::string address, std::chrono::milliseconds timeout,
         PushHandler on_push, CloseHandler on_close);

  template <class Request>
  static detail::Bytes encode_request(const Request &r) {
    detail::Bytes frame = net::start_frame();
    detail::encode(frame, detail::SerialContext{}, r);
    return frame;
  }
  template <class Reply>
  static Result<Reply> decode_reply(std::span<const std::byte> payload) try {
    detail::Decoder in(payload, detail::SerialContext{});
    ReplyStatus status;
    in(status);
    if (!status.ok)
      return Error{status.code, status.message};
    Reply reply{};
    in(reply);
    in.finish();
    return reply;
  } catch (const detail::DecodeError &e) {
    return Error{Errc::unreachable,
                 std::string("malformed reply from the controller: ") +
                     e.what()};
  }

  Result<detail::Bytes> call_raw(Op op, detail::Bytes frame);
  void post_raw(Op op, detail::Bytes frame);
  void on_frame(detail::Bytes frame);
  void on_close();
  std::shared_ptr<net::Connection> connection() const;

  using Reply = std::promise<detail::Bytes>;

  const std::string address_;
  const std::chrono::milliseconds timeout_;
  PushHandler on_push_;
  CloseHandler on_close_;

  mutable std::mutex mu_;
  std::shared_ptr<net::Connection> conn_;
  bool closed_ = false;
  std::uint64_t next_request_ = 1;
  std::unordered_map<std::uint64_t, Reply> pending_;
};

} // namespace nu::controller
