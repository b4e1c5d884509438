// Declaration-only stand-in for the nu runtime API, for nuc's lit tests.
// Shapes follow runtime/include/nu/; templates taking lambdas need bodies
// (a lambda's type has no linkage), which NU_STUB gives them.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#define NU_STUB { __builtin_unreachable(); }

namespace nu {

using NodeId = std::uint32_t;

struct ProcletOptions {
  bool pinned = false;
  std::optional<NodeId> node;
};

template <class R> class Future {
public:
  R get();
  void wait();
  bool ready() const;
};

template <class T> class WeakProclet;

template <class T> class Proclet {
public:
  Proclet();
  explicit operator bool() const;
  void reset();
  std::uint64_t id() const;
  WeakProclet<T> get_weak() const;

  template <class R, class... MArgs, class... Args>
  R Run(R (T::*Method)(MArgs...), Args &&...args) NU_STUB
  template <class F, class... Args>
  std::invoke_result_t<F, T &, Args...> Run(F &&Closure,
                                            Args &&...args) NU_STUB
  template <class R, class... MArgs, class... Args>
  Future<R> RunAsync(R (T::*Method)(MArgs...), Args &&...args) NU_STUB
  template <class F, class... Args>
  Future<std::invoke_result_t<F, T &, Args...>>
  RunAsync(F &&Closure, Args &&...args) NU_STUB
};

template <class T> class WeakProclet {
public:
  template <class F, class... Args>
  std::invoke_result_t<F, T &, Args...> Run(F &&Closure,
                                            Args &&...args) NU_STUB
};

template <class T, class... Args>
Proclet<T> make_proclet(Args &&...args) NU_STUB
template <class T, class... Args>
Proclet<T> make_proclet(ProcletOptions Options, Args &&...args) NU_STUB

std::vector<NodeId> nodes();
NodeId this_node();

template <class Fn> int main(int argc, char **argv, Fn &&fn) NU_STUB

} // namespace nu
