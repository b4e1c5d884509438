// Ids for the code a request can run besides methods: closures and
// constructors. Each is a template instantiated at a call site, registered
// before main() under a hash of its type, so every node of the same binary
// knows it. No address ever travels.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/archive.hpp"
#include "nu/detail/hash.hpp"
#include "nu/detail/traits.hpp"

#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>

namespace nu::detail {

/// Runs a closure on `self` with arguments from `in`, result to `out`;
/// `fn` is the function pointer for closures given as one, else null.
using ClosureRun = void (*)(void *self, const void *fn, InArchive &in,
                            OutArchive &out);
/// Constructs a proclet object from arguments in `in`.
using ConstructorRun = void *(*)(InArchive &in);

std::uint64_t register_closure(const char *key, ClosureRun run);
std::uint64_t register_constructor(const char *key, ConstructorRun run);
ClosureRun find_closure(std::uint64_t id);
ConstructorRun find_constructor(std::uint64_t id);

/// The stable id of a function used as a closure (from the executable's
/// symbol table), or nu::Error explaining why it has none.
std::uint64_t function_id(const void *fn);
/// The function with that id, or null.
const void *function_from_id(std::uint64_t id);

/// Calls `call(args...)` and writes its result, if any, to `out`.
template <class Call, class Args>
void invoke_and_encode(Call &&call, Args &args, OutArchive &out) {
  using R = decltype(std::apply(call, args));
  if constexpr (std::is_void_v<R>) {
    std::apply(call, args);
  } else {
    std::decay_t<R> result = std::apply(call, args);
    out(result);
  }
}

/// A capture-less lambda type `F` run against a `T`.
template <class F, class T, class Args> struct LambdaClosure {
  static void run(void *self, const void *, InArchive &in, OutArchive &out) {
    Args args;
    in(args);
    auto call = [self](auto &...a) -> decltype(auto) {
      return F{}(*static_cast<T *>(self), std::move(a)...);
    };
    invoke_and_encode(call, args, out);
  }
  static inline const std::uint64_t id =
      register_closure(typeid(LambdaClosure).name(), &run);
};

/// A function pointer of type `Fn` run against a `T`.
template <class Fn, class T, class Args> struct FunctionClosure {
  static void run(void *self, const void *fn, InArchive &in, OutArchive &out) {
    Args args;
    in(args);
    auto f = reinterpret_cast<Fn>(const_cast<void *>(fn));
    auto call = [self, f](auto &...a) -> decltype(auto) {
      return f(*static_cast<T *>(self), std::move(a)...);
    };
    invoke_and_encode(call, args, out);
  }
  static inline const std::uint64_t id =
      register_closure(typeid(FunctionClosure).name(), &run);
};

/// Allocates a `T` the way ProcletType::destroy frees it.
template <class T, class... A> T *new_proclet(A &&...args) {
  void *raw = ::operator new(sizeof(T), std::align_val_t(alignof(T)));
  try {
    return ::new (raw) T(std::forward<A>(args)...);
  } catch (...) {
    ::operator delete(raw, std::align_val_t(alignof(T)));
    throw;
  }
}

/// The constructor of `T` taking `Args` (a tuple of decayed types).
template <class T, class Args> struct Constructor {
  static void *run(InArchive &in) {
    Args args;
    in(args);
    return std::apply(
        [](auto &...a) {
          return static_cast<void *>(new_proclet<T>(std::move(a)...));
        },
        args);
  }
  static inline const std::uint64_t id =
      register_constructor(typeid(Constructor).name(), &run);
};

} // namespace nu::detail
