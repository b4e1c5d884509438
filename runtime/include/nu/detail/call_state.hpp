// The shared state of one call's result, local or remote: what a Future
// waits on. Remote replies arrive as bytes and are decoded by the waiter.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/archive.hpp"
#include "nu/ids.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace nu::detail {

class Node;

/// How a remote call ended, as the reply frame said.
enum class ReplyKind : std::uint8_t { Result, Error, Unavailable };

class CallState {
public:
  using Clock = std::chrono::steady_clock;
  virtual ~CallState() = default;

  // Producer side (the node, a worker); each call completes exactly once.
  void complete_local();
  void fail(std::exception_ptr error);
  /// Fails with nu::ProcletUnavailable for the call's target.
  void fail_unavailable(const std::string &why);
  /// Fails with nu::CallTimeout: no reply within \p timeout.
  void fail_timeout(std::chrono::milliseconds timeout);
  void complete_remote(ReplyKind kind, Bytes frame, std::size_t offset);

  // Remote bookkeeping, set by the node before the request is sent.
  void set_remote(Node *node, std::uint64_t request_id, ProcletId target,
                  Clock::time_point deadline);

  bool ready() const;
  /// Runs \p hook once the call is done: at once if it is, else on the
  /// thread that completes it (keep it short: it may be an I/O thread).
  void on_done(std::function<void()> hook);
  /// Waits until done or the deadline passed; true when done.
  bool wait_until(Clock::time_point until);
  /// Waits until done or the call's own deadline, then throws
  /// ProcletUnavailable if the reply did not come.
  void wait_or_throw();
  /// Rethrows the callee's exception (as RemoteError for remote calls).
  void rethrow_if_failed();

protected:
  /// The reply payload of a successful remote call, decoded by subclasses.
  std::span<const std::byte> reply_payload() const;
  Node *node() const { return node_; }
  bool is_remote() const { return node_ != nullptr; }

private:
  void finish(std::unique_lock<std::mutex> &lock);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::exception_ptr error_;
  ReplyKind kind_ = ReplyKind::Result;
  Bytes reply_;
  std::size_t offset_ = 0;
  Node *node_ = nullptr;
  std::uint64_t request_id_ = 0;
  ProcletId target_ = 0;
  std::optional<Clock::time_point> deadline_;
  std::vector<std::function<void()>> hooks_;
};

/// A call state holding a typed result.
template <class R> class TypedState : public CallState {
public:
  void set_value(R value) {
    value_.emplace(std::move(value));
    complete_local();
  }
  R take() {
    wait_or_throw();
    rethrow_if_failed();
    if (!value_)
      decode();
    return std::move(*value_);
  }

private:
  void decode() {
    Decoder in(reply_payload(), SerialContext{node()});
    value_.emplace();
    in(*value_);
    in.finish();
  }
  std::optional<R> value_;
};

template <> class TypedState<void> : public CallState {
public:
  void set_value() { complete_local(); }
  void take() {
    wait_or_throw();
    rethrow_if_failed();
  }
};

} // namespace nu::detail
