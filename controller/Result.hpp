// Errors as values for the controller: a code for programs and a one-line
// message for people (what a refused node or nuctl prints).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace nu::controller {

/// What went wrong, for code that reacts to it.
enum class Errc {
  invalid_argument,
  unknown_node,
  node_dead,
  node_left,
  binary_mismatch,
  id_taken,
  no_live_node,
  no_capacity,
  unknown_proclet,
  ids_exhausted,
  unreachable, ///< the controller (or a node) did not answer
  recovering,  ///< restarted; waits for the nodes to rejoin (retry)
};

/// The code's name, e.g. "unknown_node".
std::string_view to_string(Errc code);

/// An error: a code and a one-line message.
struct Error {
  Errc code;
  std::string message;
};

/// A value or an Error.
template <class T> class [[nodiscard]] Result {
public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  explicit operator bool() const { return state_.index() == 0; }
  bool ok() const { return state_.index() == 0; }
  T &operator*() { return std::get<0>(state_); }
  const T &operator*() const { return std::get<0>(state_); }
  T *operator->() { return &std::get<0>(state_); }
  const T *operator->() const { return &std::get<0>(state_); }
  /// The error; only valid when !ok().
  const Error &error() const { return std::get<1>(state_); }

private:
  std::variant<T, Error> state_;
};

/// Success or an Error.
template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  explicit operator bool() const { return !error_; }
  bool ok() const { return !error_; }
  /// The error; only valid when !ok().
  const Error &error() const { return *error_; }

private:
  std::optional<Error> error_;
};

} // namespace nu::controller
