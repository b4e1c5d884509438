// How Run and RunAsync reach a proclet: a direct call when it is hosted
// here and active (no serialization), else a request frame to its node.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/closure_traits.hpp"
#include "nu/detail/entry_points.hpp"
#include "nu/detail/local_call.hpp"
#include "nu/detail/node_api.hpp"
#include "nu/errors.hpp"

#include <memory>
#include <tuple>
#include <utility>

namespace nu::detail {

/// Forces inlining of the fastpath's few layers into the caller, so a
/// method pointer known at the call site becomes a direct call.
#define NU_INLINE [[gnu::always_inline]] inline
#define NU_LAMBDA_INLINE __attribute__((always_inline))

/// Where a call goes: the proclet, its last known node, and the node
/// sending on the caller's behalf.
struct Target {
  Node *node;
  ProcletId id;
  NodeId location;
};

/// Runs `call()` on this thread; user exceptions become nu::RemoteError as
/// they would remotely.
template <class Call> NU_INLINE decltype(auto) call_local(Call &&call) {
  try {
    return call();
  } catch (...) {
    std::rethrow_exception(as_remote_error(std::current_exception()));
  }
}

/// Encodes the arguments, converted to the callee's parameter types.
template <class Args, class... A>
Bytes encode_request(Node *node, A &&...args) {
  Bytes frame(kFrameHeaderSize);
  Args shipped(std::forward<A>(args)...);
  encode(frame, SerialContext{node}, shipped);
  return frame;
}

template <class R>
std::shared_ptr<TypedState<R>> send(const Target &t, RequestKind kind,
                                    std::uint64_t target, std::uint64_t aux,
                                    Bytes frame) {
  auto state = std::make_shared<TypedState<R>>();
  send_request(t.node, t.id, t.location, kind, target, aux, std::move(frame),
               state);
  return state;
}

/// A method call as a request.
template <class T, class M, class... A>
auto send_method(const Target &t, const ProcletType &type, M method,
                 A &&...args) {
  using Traits = MethodTraits<M>;
  using R = std::decay_t<typename Traits::Result>;
  const MethodEntry *entry =
      type.find_method(method_key(static_cast<typename Traits::Plain>(method)));
  if (!entry)
    throw Error("nu: this method of '" + type.name +
                "' is not in its method table: is it public, and is the "
                "source built with nu_add_executable?");
  Bytes frame =
      encode_request<typename Traits::Args>(t.node, std::forward<A>(args)...);
  return send<R>(t, RequestKind::Method, entry->id, 0, std::move(frame));
}

/// The ids a closure travels as: its trampoline, and the function's own
/// id when it is a function pointer.
template <class T, class F, class... A>
std::pair<std::uint64_t, std::uint64_t> closure_ids(const F &fn) {
  using Traits = ClosureTraits<F, T, A...>;
  if constexpr (Traits::is_function) {
    std::uint64_t id = FunctionClosure<F, T, typename Traits::Args>::id;
    return {id, function_id(reinterpret_cast<const void *>(fn))};
  } else {
    return {LambdaClosure<F, T, typename Traits::Args>::id, 0};
  }
}

/// A closure call as a request.
template <class T, class F, class... A>
auto send_closure(const Target &t, const F &fn, A &&...args) {
  using Traits = ClosureTraits<F, T, A...>;
  using R = std::decay_t<typename Traits::Result>;
  auto [trampoline, function] = closure_ids<T, F, A...>(fn);
  Bytes frame =
      encode_request<typename Traits::Args>(t.node, std::forward<A>(args)...);
  return send<R>(t, RequestKind::Closure, trampoline, function,
                 std::move(frame));
}

/// Calls `method` on the object in `slot` with shipped copies of the
/// arguments: the callee never aliases the caller's objects.
template <class T, class M, class... A>
NU_INLINE decltype(auto) call_method_local(Slot *slot, M method, A &&...args) {
  using Args = typename MethodTraits<M>::Args;
  return call_local([&]() NU_LAMBDA_INLINE -> decltype(auto) {
    return [&]<class... P>(std::tuple<P...> *)
               NU_LAMBDA_INLINE -> decltype(auto) {
                 return (static_cast<T *>(slot->object)->*method)(
                     P(std::forward<A>(args))...);
               }(static_cast<Args *>(nullptr));
  });
}

template <class T, class F, class... A>
NU_INLINE decltype(auto) call_closure_local(Slot *slot, const F &fn,
                                            A &&...args) {
  using Args = typename ClosureTraits<F, T, A...>::Args;
  return call_local([&]() NU_LAMBDA_INLINE -> decltype(auto) {
    return [&]<class... P>(
               std::tuple<P...> *) NU_LAMBDA_INLINE -> decltype(auto) {
      return fn(*static_cast<T *>(slot->object), P(std::forward<A>(args))...);
    }(static_cast<Args *>(nullptr));
  });
}

} // namespace nu::detail
