// nu::Proclet<T>, nu::WeakProclet<T> and nu::make_proclet: handles to
// proclets anywhere in the logical process, and how to call them.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/call.hpp"
#include "nu/detail/heap.hpp"
#include "nu/future.hpp"
#include "nu/options.hpp"

#include <memory>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace nu {

template <class T> class WeakProclet;

namespace detail {

template <class T, class M, class... A> constexpr void check_method() {
  using Traits = MethodTraits<M>;
  static_assert(std::is_base_of_v<typename Traits::Class, T>,
                "nu: Run's method must be a member of the proclet's class");
  static_assert(ArgsFit<typename Traits::Args, A...>::value,
                "nu: the arguments given to Run do not match the method's "
                "parameters");
}

/// Runs `job()` on `node`'s workers; its result completes the future.
template <class R, class Job> Future<R> run_async(Node *node, Job job) {
  auto state = std::make_shared<TypedState<R>>();
  auto shared = std::make_shared<Job>(std::move(job));
  submit(node, [state, shared] {
    try {
      if constexpr (std::is_void_v<R>) {
        (*shared)();
        state->set_value();
      } else {
        state->set_value((*shared)());
      }
    } catch (...) {
      state->fail(std::current_exception());
    }
  });
  return Future<R>(std::move(state));
}

template <class T, class M, class... A>
inline constexpr bool method_fits =
    std::is_base_of_v<typename MethodTraits<M>::Class, T> &&
    ArgsFit<typename MethodTraits<M>::Args, A...>::value;

template <class M>
using MethodResult = std::decay_t<typename MethodTraits<M>::Result>;
template <class T, class F, class... A>
using ClosureResult =
    std::decay_t<typename ClosureTraits<std::decay_t<F>, T, A...>::Result>;

} // namespace detail

/// A reference to a proclet of class `T`, valid anywhere in the logical
/// process. Copyable; the proclet is destroyed when the last Proclet<T>
/// referring to it is gone, wherever the copies went.
template <class T> class Proclet {
public:
  /// An empty handle.
  Proclet() = default;
  Proclet(const Proclet &other) : p_(other.p_) { detail::add_ref(p_); }
  Proclet(Proclet &&other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  Proclet &operator=(Proclet other) noexcept {
    std::swap(p_, other.p_);
    return *this;
  }
  ~Proclet() { detail::drop_ref(p_); }

  /// True unless empty.
  explicit operator bool() const { return p_ != nullptr; }
  /// Drops this reference; the handle becomes empty.
  void reset() { Proclet().swap(*this); }
  void swap(Proclet &other) noexcept { std::swap(p_, other.p_); }
  /// The proclet's id (0 when empty).
  ProcletId id() const { return p_ ? p_->id : 0; }
  /// The node the proclet was last known to live on (0 when empty).
  NodeId location() const {
    return p_ ? p_->location.load(std::memory_order_relaxed) : 0;
  }
  /// A handle that does not keep the proclet alive.
  WeakProclet<T> get_weak() const;
  friend bool operator==(const Proclet &a, const Proclet &b) {
    return a.id() == b.id();
  }

  /// Calls `method` with `args` (copied into the callee) and returns its
  /// result. The callee's exception comes back as nu::RemoteError.
  template <class M, class... A>
    requires detail::MemberFunction<M>
  NU_INLINE detail::MethodResult<M> Run(M method, A &&...args) const {
    if constexpr (!detail::method_fits<T, M, A...>) {
      detail::check_method<T, M, A...>();
      __builtin_unreachable();
    } else {
      if (detail::LocalCall local{proxy()})
        return detail::call_method_local<T, detail::Entered::OnStack>(
            local.slot(), method, std::forward<A>(args)...);
      return detail::send_method<T>(target(), *proxy().type, method,
                                    std::forward<A>(args)...)
          ->take();
    }
  }

  /// Runs a capture-less closure `fn(T &, args...)` on the proclet.
  template <class F, class... A>
    requires(!detail::MemberFunction<std::decay_t<F>>)
  NU_INLINE auto Run(F &&fn, A &&...args) const {
    if constexpr (!detail::closure_fits<std::decay_t<F>, T, A...>) {
      detail::check_closure<std::decay_t<F>, T, A...>();
      return detail::not_reached<detail::ClosureResult<T, F, A...>>();
    } else {
      using Fn = std::decay_t<F>;
      const Fn &f = fn;
      if (detail::LocalCall local{proxy()})
        return detail::call_closure_local<T, detail::Entered::OnStack>(
            local.slot(), f, std::forward<A>(args)...);
      return detail::send_closure<T>(target(), f, std::forward<A>(args)...)
          ->take();
    }
  }

  /// Like Run, without waiting: the result comes through the future.
  template <class M, class... A>
    requires detail::MemberFunction<M>
  Future<detail::MethodResult<M>> RunAsync(M method, A &&...args) const {
    if constexpr (!detail::method_fits<T, M, A...>) {
      detail::check_method<T, M, A...>();
      __builtin_unreachable();
    } else {
      using R = detail::MethodResult<M>;
      if (!proxy().hosted_here())
        return Future<R>(detail::send_method<T>(target(), *proxy().type, method,
                                                std::forward<A>(args)...));
      return detail::run_async<R>(
          p_->node,
          [self = *this, method,
           args = typename detail::MethodTraits<M>::Args(
               std::forward<A>(args)...)]() mutable -> R {
            detail::AsyncCharge charge(self.proxy());
            return std::apply(
                [&](auto &...a) -> R {
                  return self.Run(method, std::move(a)...);
                },
                args);
          });
    }
  }

  template <class F, class... A>
    requires(!detail::MemberFunction<std::decay_t<F>>)
  auto RunAsync(F &&fn, A &&...args) const {
    if constexpr (!detail::closure_fits<std::decay_t<F>, T, A...>) {
      detail::check_closure<std::decay_t<F>, T, A...>();
      return detail::not_reached<Future<detail::ClosureResult<T, F, A...>>>();
    } else {
      using Fn = std::decay_t<F>;
      using R = detail::ClosureResult<T, F, A...>;
      Fn f = fn;
      if (!proxy().hosted_here())
        return Future<R>(
            detail::send_closure<T>(target(), f, std::forward<A>(args)...));
      using Args = typename detail::ClosureTraits<Fn, T, A...>::Args;
      return detail::run_async<R>(
          p_->node,
          [self = *this, f,
           args = Args(std::forward<A>(args)...)]() mutable -> R {
            detail::AsyncCharge charge(self.proxy());
            return std::apply(
                [&](auto &...a) -> R { return self.Run(f, std::move(a)...); },
                args);
          });
    }
  }

  /// Lower-case spellings of the original Nu code base.
  template <class... A> decltype(auto) run(A &&...args) const {
    return Run(std::forward<A>(args)...);
  }
  template <class... A> decltype(auto) run_async(A &&...args) const {
    return RunAsync(std::forward<A>(args)...);
  }

  /// A handle travels as its id, type, location and a share of weight.
  template <class Archive> void save(Archive &ar) const {
    if (!p_) {
      ar(ProcletId{0});
      return;
    }
    ar(p_->id, p_->type->id, p_->location.load(std::memory_order_relaxed),
       detail::split_weight(p_));
  }
  template <class Archive> void load(Archive &ar) {
    ProcletId id = 0;
    ar(id);
    reset();
    if (id == 0)
      return;
    std::uint64_t type_id = 0, weight = 0;
    NodeId location = 0;
    ar(type_id, location, weight);
    p_ = detail::adopt_proxy(detail::archive_node(ar), id, type_id, location,
                             weight);
    if (p_->type->cpp_type != typeid(T)) {
      reset();
      throw detail::DecodeError("proclet handle of another type");
    }
  }

  /// Takes over \p proxy's reference (runtime use).
  explicit Proclet(detail::Proxy *proxy) : p_(proxy) {}

private:
  detail::Proxy &proxy() const {
    if (!p_)
      throw Error("nu: call through an empty nu::Proclet");
    if (!p_->node)
      throw Error("nu: call through a nu::Proclet whose node has shut down "
                  "(nu::main returned)");
    return *p_;
  }
  // Through proxy(): the compiler then knows p_ is not null here.
  detail::Target target() const {
    const detail::Proxy &p = proxy();
    return {p.node, p.id, p.location.load(std::memory_order_relaxed)};
  }

  detail::Proxy *p_ = nullptr;
};

/// A handle that does not keep its proclet alive: calls through it raise
/// nu::ProcletUnavailable once the proclet is destroyed.
template <class T> class WeakProclet {
public:
  WeakProclet() = default;
  explicit operator bool() const { return id_ != 0; }
  ProcletId id() const { return id_; }
  void reset() { *this = WeakProclet(); }

  template <class M, class... A>
    requires detail::MemberFunction<M>
  detail::MethodResult<M> Run(M method, A &&...args) const {
    if constexpr (!detail::method_fits<T, M, A...>) {
      detail::check_method<T, M, A...>();
      __builtin_unreachable();
    } else {
      if (auto slot = entered())
        return guarded(*slot, [&]() -> decltype(auto) {
          return detail::call_method_local<T, detail::Entered::Guarded>(
              slot.get(), method, std::forward<A>(args)...);
        });
      return detail::send_method<T>(target(), *type_, method,
                                    std::forward<A>(args)...)
          ->take();
    }
  }

  template <class F, class... A>
    requires(!detail::MemberFunction<std::decay_t<F>>)
  auto Run(F &&fn, A &&...args) const {
    using Fn = std::decay_t<F>;
    if constexpr (!detail::closure_fits<Fn, T, A...>) {
      detail::check_closure<Fn, T, A...>();
      return detail::not_reached<detail::ClosureResult<T, F, A...>>();
    } else {
      const Fn &f = fn;
      if (auto slot = entered())
        return guarded(*slot, [&]() -> decltype(auto) {
          return detail::call_closure_local<T, detail::Entered::Guarded>(
              slot.get(), f, std::forward<A>(args)...);
        });
      return detail::send_closure<T>(target(), f, std::forward<A>(args)...)
          ->take();
    }
  }

  template <class... A> auto RunAsync(A &&...args) const {
    using R = decltype(this->Run(std::forward<A>(args)...));
    auto call = [self = *this, ... a = std::forward<A>(args)]() mutable -> R {
      return self.Run(std::move(a)...);
    };
    return detail::run_async<R>(node(), std::move(call));
  }

  template <class Archive> void save(Archive &ar) const {
    ar(id_, type_ ? type_->id : 0, location_);
  }
  template <class Archive> void load(Archive &ar) {
    std::uint64_t type_id = 0;
    ar(id_, type_id, location_);
    node_ = detail::archive_node(ar);
    type_ = nullptr;
    if (id_ == 0)
      return;
    type_ = detail::TypeRegistry::instance().find(type_id);
    if (!type_ || type_->cpp_type != typeid(T))
      throw detail::DecodeError("weak proclet handle of another type");
  }

private:
  friend class Proclet<T>;
  WeakProclet(detail::Node *node, ProcletId id, NodeId location,
              const detail::ProcletType *type)
      : node_(node), id_(id), location_(location), type_(type) {}

  detail::Node *node() const {
    if (id_ == 0)
      throw Error("nu: call through an empty nu::WeakProclet");
    return node_ ? node_ : detail::current_node();
  }
  /// The local slot, entered as a guarded call, if the proclet is hosted
  /// here and active; else null (the call goes the request way, which also
  /// reaches a proclet that is migrating or has moved).
  std::shared_ptr<detail::Slot> entered() const {
    auto slot = detail::find_slot(node(), id_);
    return slot && slot->try_enter() ? slot : nullptr;
  }
  detail::Target target() const { return {node(), id_, location_}; }
  template <class Call>
  decltype(auto) guarded(detail::Slot &slot, Call &&call) const {
    struct Leave {
      detail::Slot &s;
      ~Leave() { s.leave(); }
    } leave{slot};
    return call();
  }

  detail::Node *node_ = nullptr;
  ProcletId id_ = 0;
  NodeId location_ = 0;
  const detail::ProcletType *type_ = nullptr;
};

template <class T> WeakProclet<T> Proclet<T>::get_weak() const {
  if (!p_)
    return {};
  return WeakProclet<T>(p_->node, p_->id,
                        p_->location.load(std::memory_order_relaxed), p_->type);
}

/// Creates a proclet of class `T` from `args` (copied into it), placed by
/// the runtime or as `options` say.
template <class T, class... A>
Proclet<T> make_proclet(ProcletOptions options, A &&...args) {
  static_assert(std::is_constructible_v<T, detail::Shipped<A>...>,
                "nu: no constructor of the proclet class takes these "
                "arguments");
  detail::Node *node = detail::current_node();
  const detail::ProcletType &type =
      detail::proclet_type(typeid(T), typeid(T).name());
  NodeId where = detail::place(node, options);
  if (where == detail::node_id(node)) {
    unsigned heap = detail::acquire_heap(node);
    T *object = nullptr;
    try {
      detail::HeapScope scope(detail::heap_flags(heap));
      object =
          detail::new_proclet<T>(detail::Shipped<A>(std::forward<A>(args))...);
    } catch (...) {
      detail::release_heap(node, heap);
      std::rethrow_exception(detail::as_remote_error(std::current_exception()));
    }
    return Proclet<T>(detail::host_proclet(node, type, object, options, heap));
  }
  using Args = std::tuple<detail::Shipped<A>...>;
  detail::Bytes frame =
      detail::encode_request<Args>(node, std::forward<A>(args)...);
  return Proclet<T>(detail::create_remote(node, where, type,
                                          detail::Constructor<T, Args>::id,
                                          options, std::move(frame)));
}

template <class T, class... A> Proclet<T> make_proclet(A &&...args) {
  return make_proclet<T>(ProcletOptions{}, std::forward<A>(args)...);
}

/// A handle to the proclet whose method is running, from inside that
/// method: `nu::get_current_proclet(this)` (to pass itself to others). It
/// keeps the proclet alive like any handle. Throws nu::Error if \p self is
/// not a proclet hosted on the caller's node.
template <class T>
Proclet<std::remove_const_t<T>> get_current_proclet(T *self) {
  using Plain = std::remove_const_t<T>;
  return Proclet<Plain>(
      detail::self_proxy(detail::current_node(), self, typeid(Plain)));
}

} // namespace nu
