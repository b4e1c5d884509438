// nu::Future<R>: the result of RunAsync, like std::future but able to wait
// for a remote reply with a deadline.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/call_state.hpp"
#include "nu/errors.hpp"

#include <chrono>
#include <future>
#include <memory>

namespace nu {

/// The eventual result of `RunAsync`. `get()` returns it once, rethrowing
/// the callee's exception as nu::RemoteError; a remote call that does not
/// answer within the call deadline gives nu::CallTimeout.
template <class R> class Future {
public:
  Future() = default;
  explicit Future(std::shared_ptr<detail::TypedState<R>> state)
      : state_(std::move(state)) {}

  /// True when the future refers to a call whose result is not taken yet.
  bool valid() const { return state_ != nullptr; }
  /// True when the result (or error) is available.
  bool ready() const { return check().ready(); }
  /// Blocks until the result (or error) is available or the deadline
  /// passed.
  void wait() const {
    check().wait_until(detail::CallState::Clock::time_point::max());
  }
  template <class Rep, class Period>
  std::future_status
  wait_for(const std::chrono::duration<Rep, Period> &timeout) const {
    auto until = detail::CallState::Clock::now() + timeout;
    return check().wait_until(until) ? std::future_status::ready
                                     : std::future_status::timeout;
  }
  /// Waits and returns the result; the future becomes invalid.
  R get() {
    auto state = std::move(state_);
    if (!state)
      throw Error("nu::Future::get on an invalid future");
    return state->take();
  }

  /// The shared state (runtime use: nu::when_all, nu::when_any).
  const std::shared_ptr<detail::TypedState<R>> &state() const {
    check();
    return state_;
  }

private:
  detail::TypedState<R> &check() const {
    if (!state_)
      throw Error("nu::Future used after get() or default construction");
    return *state_;
  }
  std::shared_ptr<detail::TypedState<R>> state_;
};

} // namespace nu
