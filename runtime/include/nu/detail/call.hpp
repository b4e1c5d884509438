// How Run and RunAsync reach a proclet: a direct call when it is hosted
// here and active (no serialization), else a request frame to its node.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/closure_traits.hpp"
#include "nu/detail/entry_points.hpp"
#include "nu/detail/heap.hpp"
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

/// True for a parameter `P` whose argument the caller copies in its own
/// heap: the callee takes it by const reference, so it can only read it (or
/// copy it into its state, in its own heap), and copying it may allocate.
template <class P>
inline constexpr bool kStagedCopy =
    std::is_lvalue_reference_v<P> &&
    std::is_const_v<std::remove_reference_t<P>> &&
    !std::is_trivially_copyable_v<std::decay_t<P>>;

/// An argument bound for a parameter `P`, as the caller holds it during the
/// call: its copy (kStagedCopy), else the argument itself, copied as the
/// callee's parameter in the callee's heap.
template <class P, class A>
using Staged = std::conditional_t<kStagedCopy<P>, std::decay_t<P>, A &&>;

/// What a staged argument is passed to the callee as.
template <class P, class S> NU_INLINE decltype(auto) unstage(S &&staged) {
  if constexpr (kStagedCopy<P>)
    return static_cast<const std::decay_t<P> &>(staged);
  else
    return std::decay_t<P>(std::forward<S>(staged));
}

/// Where a local call's slot is: on the thread's fastpath stack (LocalCall),
/// or entered through its guard (a weak handle), which sets no heap.
enum class Entered { OnStack, Guarded };

/// Calls \p f (a method of `T`, or a closure taking a `T &`) on the object
/// in \p slot with copies of the arguments, so the callee never aliases the
/// caller's objects. A copy the callee only reads is made and freed in the
/// caller's heap, where allocating is cheapest (kStagedCopy); one the callee
/// takes as its parameter is made in its own heap, which thus holds whatever
/// it moves from it into its state.
template <class T, class Params, Entered kEntered, class F, class... A>
NU_INLINE decltype(auto) call_in_heap(Slot *slot, const F &f, A &&...args) {
  return call_local([&]() NU_LAMBDA_INLINE -> decltype(auto) {
    return [&]<class... P, std::size_t... I>(
               std::tuple<P...> *,
               std::index_sequence<I...>) NU_LAMBDA_INLINE -> decltype(auto) {
      constexpr bool kStaging = (kStagedCopy<P> || ...);
      constexpr bool kScoped = kStaging || kEntered == Entered::Guarded;
      int caller = !kScoped                       ? 0
                   : kEntered == Entered::OnStack ? caller_heap_flags()
                                                  : current_heap_flags();
      HeapScopeIf<kStaging> staging(caller);
      std::tuple<Staged<P, A>...> staged(std::forward<A>(args)...);
      HeapScopeIf<kScoped> callee(slot->heap_flags, caller);
      T &object = *static_cast<T *>(slot->object);
      if constexpr (MemberFunction<F>)
        return (object.*f)(unstage<P>(std::get<I>(std::move(staged)))...);
      else
        return f(object, unstage<P>(std::get<I>(std::move(staged)))...);
    }(static_cast<Params *>(nullptr), std::index_sequence_for<A...>{});
  });
}

/// Calls `method` on the object in `slot` (see call_in_heap).
template <class T, Entered kEntered, class M, class... A>
NU_INLINE decltype(auto) call_method_local(Slot *slot, M method, A &&...args) {
  return call_in_heap<T, typename MethodTraits<M>::Params, kEntered>(
      slot, method, std::forward<A>(args)...);
}

/// Runs closure `fn` on the object in `slot` (see call_in_heap).
template <class T, Entered kEntered, class F, class... A>
NU_INLINE decltype(auto) call_closure_local(Slot *slot, const F &fn,
                                            A &&...args) {
  return call_in_heap<T, typename ClosureTraits<F, T, A...>::Params, kEntered>(
      slot, fn, std::forward<A>(args)...);
}

} // namespace nu::detail
