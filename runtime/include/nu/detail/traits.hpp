// Compile-time facts about the callables nu ships: member functions,
// closures and their argument lists.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include <string>
#include <tuple>
#include <type_traits>

namespace nu::detail {

/// Decomposes a pointer to member function, any cv/noexcept flavour.
template <class M> struct MethodTraits;

#define NU_METHOD_TRAITS(CV, NOEXCEPT)                                         \
  template <class R, class C, class... P>                                      \
  struct MethodTraits<R (C::*)(P...) CV NOEXCEPT> {                            \
    using Result = R;                                                          \
    using Class = C;                                                           \
    using Args = std::tuple<std::decay_t<P>...>;                               \
    using Params = std::tuple<P...>;                                           \
    using Plain = R (C::*)(P...) CV;                                           \
    static constexpr bool is_const = std::is_const_v<int CV>;                  \
  };
NU_METHOD_TRAITS(, )
NU_METHOD_TRAITS(const, )
NU_METHOD_TRAITS(, noexcept)
NU_METHOD_TRAITS(const, noexcept)
#undef NU_METHOD_TRAITS

template <class M>
concept MemberFunction = requires { typename MethodTraits<M>::Class; };

/// Decomposes a function pointer `R(*)(T&, P...)` used as a closure.
template <class F> struct FunctionTraits;
template <class R, class Self, class... P>
struct FunctionTraits<R (*)(Self, P...)> {
  using Result = R;
  using SelfRef = Self;
  using Args = std::tuple<std::decay_t<P>...>;
  using Params = std::tuple<P...>;
};
template <class R, class Self, class... P>
struct FunctionTraits<R (*)(Self, P...) noexcept>
    : FunctionTraits<R (*)(Self, P...)> {};

/// What an argument given as `A` travels as where the callee's parameter
/// types are not known (make_proclet, generic closures): its decayed type,
/// and a string literal (an array of const char) as std::string.
template <class A>
using Shipped = std::conditional_t<
    std::is_same_v<std::remove_extent_t<std::remove_reference_t<A>>,
                   const char> &&
        std::is_array_v<std::remove_reference_t<A>>,
    std::string, std::decay_t<A>>;

} // namespace nu::detail
