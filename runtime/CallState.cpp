// Completing and waiting for a call's result; a worker that waits lets
// the pool start another, and a remote wait ends at the call deadline.
#include "Node.hpp"
#include "WorkerPool.hpp"
#include "nu/detail/call_state.hpp"
#include "nu/errors.hpp"

namespace nu::detail {

void CallState::finish(std::unique_lock<std::mutex> &lock) {
  done_ = true;
  auto hooks = std::move(hooks_);
  lock.unlock();
  cv_.notify_all();
  for (auto &hook : hooks)
    hook();
}

void CallState::on_done(std::function<void()> hook) {
  std::unique_lock lock(mu_);
  if (!done_) {
    hooks_.push_back(std::move(hook));
    return;
  }
  lock.unlock();
  hook();
}

void CallState::complete_local() {
  std::unique_lock lock(mu_);
  finish(lock);
}

void CallState::fail(std::exception_ptr error) {
  std::unique_lock lock(mu_);
  if (done_)
    return;
  error_ = std::move(error);
  finish(lock);
}

void CallState::fail_unavailable(const std::string &why) {
  fail(std::make_exception_ptr(ProcletUnavailable(target_, why)));
}

void CallState::fail_timeout(std::chrono::milliseconds timeout) {
  fail(std::make_exception_ptr(CallTimeout(target_, timeout.count())));
}

void CallState::complete_remote(ReplyKind kind, Bytes frame,
                                std::size_t offset) {
  std::unique_lock lock(mu_);
  if (done_)
    return;
  kind_ = kind;
  reply_ = std::move(frame);
  offset_ = offset;
  finish(lock);
}

void CallState::set_remote(Node *node, std::uint64_t request_id,
                           ProcletId target, Clock::time_point deadline) {
  std::scoped_lock lock(mu_); // a call sent again while its caller waits
  node_ = node;
  request_id_ = request_id;
  target_ = target;
  deadline_ = deadline;
}

bool CallState::ready() const {
  std::scoped_lock lock(mu_);
  return done_;
}

bool CallState::wait_until(Clock::time_point until) {
  std::unique_lock lock(mu_);
  if (done_)
    return true;
  if (deadline_)
    until = std::min(until, *deadline_);
  WorkerPool::BlockingScope blocking;
  if (until == Clock::time_point::max()) {
    cv_.wait(lock, [this] { return done_; });
    return true;
  }
  return cv_.wait_until(lock, until, [this] { return done_; });
}

void CallState::wait_or_throw() {
  if (wait_until(Clock::time_point::max()))
    return;
  Node *node = nullptr;
  std::uint64_t request_id = 0;
  {
    std::scoped_lock lock(mu_);
    node = node_;
    request_id = request_id_;
  }
  node->cancel_request(request_id);
  fail_timeout(node->call_timeout());
}

void CallState::rethrow_if_failed() {
  if (error_)
    std::rethrow_exception(error_);
  if (kind_ == ReplyKind::Result)
    return;
  Decoder in(reply_payload(), SerialContext{node_});
  std::string first, second;
  if (kind_ == ReplyKind::Unavailable) {
    in(first);
    throw ProcletUnavailable(target_, first);
  }
  in(first, second);
  throw_registered(first, second);
  throw RemoteError(std::move(first), std::move(second));
}

std::span<const std::byte> CallState::reply_payload() const {
  return std::span<const std::byte>(reply_).subspan(offset_);
}

} // namespace nu::detail
