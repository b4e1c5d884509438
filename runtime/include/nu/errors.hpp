// The exceptions nu throws at callers: a callee's exception carried back
// (RemoteError), a proclet that cannot be reached (ProcletUnavailable) and
// a call whose outcome is unknown (CallTimeout).
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/ids.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>

namespace nu {

/// Base of nu's own errors (bad use of the API, runtime not started, ...).
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// An exception thrown by the callee, carried back to the caller: the
/// original exception's type name and `what()` are kept.
class RemoteError : public std::exception {
public:
  RemoteError(std::string type_name, std::string message)
      : type_name_(std::move(type_name)), message_(std::move(message)) {}
  /// The callee's message, as its `what()` returned it.
  const char *what() const noexcept override { return message_.c_str(); }
  /// The demangled type of the exception the callee threw.
  const std::string &type_name() const noexcept { return type_name_; }

private:
  std::string type_name_;
  std::string message_;
};

/// The proclet is gone (destroyed, or its node died or left) or cannot be
/// reached; the call was not run, or ran on a node that is gone.
class ProcletUnavailable : public Error {
public:
  ProcletUnavailable(ProcletId id, const std::string &why)
      : Error("proclet " + std::to_string(id) + " unavailable: " + why),
        id_(id) {}
  /// The proclet the call was addressed to.
  ProcletId id() const noexcept { return id_; }

private:
  ProcletId id_;
};

/// No reply came within the call deadline (`--nu-call-timeout-ms`): the
/// call may or may not have run. Retry only what is safe to run twice.
class CallTimeout : public Error {
public:
  CallTimeout(ProcletId id, long long timeout_ms)
      : Error("call to proclet " + std::to_string(id) +
              " timed out: no reply within " + std::to_string(timeout_ms) +
              " ms (it may or may not have run)"),
        id_(id) {}
  /// The proclet the call was addressed to.
  ProcletId id() const noexcept { return id_; }

private:
  ProcletId id_;
};

namespace detail {
using ExceptionThrower = void (*)(const std::string &what);
void register_exception(const std::type_info &type, ExceptionThrower thrower);
/// Throws the registered exception named \p type_name, if there is one.
void throw_registered(const std::string &type_name, const std::string &what);
bool is_registered(const std::type_info &type);
} // namespace detail

/// Callees' exceptions of type `E` reach callers as `E` (built from their
/// `what()`), not as nu::RemoteError: register each such type once, before
/// the calls (typically before nu::main), in the program every node runs.
/// The exact type counts (not its bases); `E` must be constructible from a
/// std::string. Other exceptions stay nu::RemoteError.
template <class E> void register_exception() {
  static_assert(std::is_constructible_v<E, std::string>,
                "nu::register_exception: the exception type must be "
                "constructible from its message (a std::string)");
  detail::register_exception(typeid(E),
                             [](const std::string &what) { throw E(what); });
}

} // namespace nu
