// What a closure passed to Run ships: the decayed types of its parameters
// after the proclet reference, and its result; compile errors say what to
// write when a closure does not fit.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/traits.hpp"

#include <tuple>
#include <type_traits>

namespace nu::detail {

template <class Tuple> struct TupleTail;
template <class Head, class... Tail>
struct TupleTail<std::tuple<Head, Tail...>> {
  using type = std::tuple<Tail...>;
};

template <class F>
concept FunctionPointer =
    std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>;

template <class F>
concept NonGenericLambda = requires { &F::operator(); };

/// Closure facts for a callable `F` (decayed) called on `T` with
/// arguments `A...` as given at the call site.
template <class F, class T, class... A> struct ClosureTraits {
  using Args = std::tuple<Shipped<A>...>;
  using Params = Args;
  using Result = std::invoke_result_t<const F &, T &, Shipped<A>...>;
  static constexpr bool is_function = false;
};

template <FunctionPointer F, class T, class... A>
struct ClosureTraits<F, T, A...> {
  using Args = typename FunctionTraits<F>::Args;
  using Params = typename FunctionTraits<F>::Params;
  using Result = typename FunctionTraits<F>::Result;
  static constexpr bool is_function = true;
};

template <NonGenericLambda F, class T, class... A>
struct ClosureTraits<F, T, A...> {
  using Call = MethodTraits<decltype(&F::operator())>;
  using Args = typename TupleTail<typename Call::Args>::type;
  using Params = typename TupleTail<typename Call::Params>::type;
  using Result = typename Call::Result;
  static constexpr bool is_function = false;
};

/// True when a value of each `A` converts to the matching element of
/// `Args` (and the counts agree).
template <class Args, class... A> struct ArgsFit : std::false_type {};
template <class... P, class... A>
  requires(sizeof...(P) == sizeof...(A))
struct ArgsFit<std::tuple<P...>, A...>
    : std::bool_constant<(std::is_constructible_v<P, A &&> && ...)> {};

/// True when a closure `F` can be run on a `T` with arguments `A...`.
template <class F, class T, class... A>
inline constexpr bool closure_fits =
    (FunctionPointer<F> ||
     (std::is_empty_v<F> && std::is_default_constructible_v<F>)) &&
    ArgsFit<typename ClosureTraits<F, T, A...>::Args, A...>::value &&
    std::is_invocable_v<const F &, T &, Shipped<A>...>;

#ifdef __NUC__
// While nuc reads a program, what a closure captures is nuc's to report
// ([nu-closure-captures], every capture at its own line, in one run).
inline constexpr bool kHeadersCheckCaptures = false;
#else
inline constexpr bool kHeadersCheckCaptures = true;
#endif

/// Checks a closure at compile time; each failure says what to write.
template <class F, class T, class... A> constexpr void check_closure() {
  constexpr bool function = FunctionPointer<F>;
  static_assert(!kHeadersCheckCaptures || function || std::is_empty_v<F>,
                "nu: a closure passed to Run must not capture anything; pass "
                "the values it needs as arguments after the closure");
  static_assert(!kHeadersCheckCaptures || function || !std::is_empty_v<F> ||
                    std::is_default_constructible_v<F>,
                "nu: a closure passed to Run must not have a default capture "
                "(write [] instead of [&] or [=]); a function object must be "
                "default constructible");
  using Traits = ClosureTraits<F, T, A...>;
  static_assert(ArgsFit<typename Traits::Args, A...>::value,
                "nu: the arguments given to Run do not match the closure's "
                "parameters after its first (T &) parameter");
  static_assert(std::is_invocable_v<const F &, T &, Shipped<A>...>,
                "nu: a closure's first parameter must be the proclet (T &)");
}

/// The value of a call that cannot compile, for the result's type: a call
/// nuc reports (it reads the rest of the program as if the call worked).
template <class R> R not_reached() { __builtin_unreachable(); }

} // namespace nu::detail
