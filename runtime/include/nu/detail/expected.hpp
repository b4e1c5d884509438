// A value or a std::error_code with a message: how nu's transport and node
// code report failures without exceptions.
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

template <class T> class Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  Expected(Failure failure) : failure_(std::move(failure)) {}

  explicit operator bool() const { return value_.has_value(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  const Failure &failure() const { return failure_; }

private:
  std::optional<T> value_;
  Failure failure_;
};

} // namespace nu::detail
