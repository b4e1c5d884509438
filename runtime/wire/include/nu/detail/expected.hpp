// A value or a std::error_code with a message: how every layer of nu below
// the public API reports failures (exceptions are for the public API only).
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace nu::detail {

/// An error: a code for programs and a one-line message for people.
struct Failure {
  std::error_code code;
  std::string message;
};

template <class T> class [[nodiscard]] Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  Expected(Failure failure) : failure_(std::move(failure)) {}

  explicit operator bool() const { return value_.has_value(); }
  bool ok() const { return value_.has_value(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  /// Why there is no value; only meaningful when !ok().
  const Failure &failure() const { return failure_; }

private:
  std::optional<T> value_;
  Failure failure_;
};

/// Success or a Failure.
template <> class [[nodiscard]] Expected<void> {
public:
  Expected() = default;
  Expected(Failure failure) : failure_(std::move(failure)) {}

  explicit operator bool() const { return !failure_; }
  bool ok() const { return !failure_; }
  /// Why it failed; only valid when !ok().
  const Failure &failure() const { return *failure_; }

private:
  std::optional<Failure> failure_;
};

} // namespace nu::detail
