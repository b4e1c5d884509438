// nu::overload<P...>(&T::method): picks one method of an overload set by its
// parameter types, for Run and RunAsync (which cannot deduce from a set).
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

namespace nu {

namespace detail {
template <class... P> struct Overload {
  template <class R, class C> constexpr auto operator()(R (C::*m)(P...)) const {
    return m;
  }
  template <class R, class C>
  constexpr auto operator()(R (C::*m)(P...) const) const {
    return m;
  }
  template <class R, class C>
  constexpr auto operator()(R (C::*m)(P...) noexcept) const {
    return m;
  }
  template <class R, class C>
  constexpr auto operator()(R (C::*m)(P...) const noexcept) const {
    return m;
  }
};
} // namespace detail

/// The overload of a method whose parameters are exactly `P...`:
/// `p.Run(nu::overload<long>(&Box::Add), 5L)`; const and noexcept methods
/// alike. (`P...` is given whole, never deduced, so one overload fits.)
template <class... P> inline constexpr detail::Overload<P...> overload{};

} // namespace nu
