// nu::when_all and nu::when_any: one future for many RunAsync calls, ready
// when all of them are, or when the first one is.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/node_api.hpp"
#include "nu/future.hpp"

#include <atomic>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

namespace nu {
namespace detail {

/// The futures of a when_all, and how many are not ready yet.
template <class R> struct WhenAll {
  std::vector<Future<R>> futures;
  std::atomic<std::size_t> left;
  Node *node;
  using Result = std::conditional_t<std::is_void_v<R>, void, std::vector<R>>;
  std::shared_ptr<TypedState<Result>> out =
      std::make_shared<TypedState<Result>>();

  // Takes every result on a worker: the last one may be ready on an I/O
  // thread, and decoding results is no work for it.
  void collect() {
    try {
      if constexpr (std::is_void_v<R>) {
        for (auto &f : futures)
          f.get();
        out->set_value();
      } else {
        Result values;
        values.reserve(futures.size());
        for (auto &f : futures)
          values.push_back(f.get());
        out->set_value(std::move(values));
      }
    } catch (...) {
      out->fail(std::current_exception());
    }
  }
};

} // namespace detail

/// A future of every result of \p futures, in their order (for void calls,
/// a Future<void>), ready once all are; it fails with the first failure in
/// that order. The futures are taken over.
template <class R>
Future<typename detail::WhenAll<R>::Result>
when_all(std::vector<Future<R>> futures) {
  for (const auto &f : futures)
    f.state(); // throws for an invalid future, before anything is taken
  auto all = std::make_shared<detail::WhenAll<R>>();
  all->node = detail::current_node();
  all->left = futures.size();
  all->futures = std::move(futures);
  auto out = all->out;
  if (all->futures.empty()) {
    all->collect();
    return Future<typename detail::WhenAll<R>::Result>(out);
  }
  for (const auto &f : all->futures)
    f.state()->on_done([all] {
      if (all->left.fetch_sub(1) == 1)
        detail::submit(all->node, [all] { all->collect(); });
    });
  return Future<typename detail::WhenAll<R>::Result>(out);
}

/// A future of the index of the first of \p futures to be ready (with a
/// result or an error: read it with get() on that future, which stays
/// valid, like the others). Throws for an empty vector.
template <class R>
Future<std::size_t> when_any(const std::vector<Future<R>> &futures) {
  if (futures.empty())
    throw Error("nu::when_any of no futures");
  struct First {
    std::atomic<bool> taken{false};
    std::shared_ptr<detail::TypedState<std::size_t>> out =
        std::make_shared<detail::TypedState<std::size_t>>();
  };
  auto first = std::make_shared<First>();
  for (std::size_t i = 0; i < futures.size(); ++i)
    futures[i].state()->on_done([first, i] {
      if (!first->taken.exchange(true))
        first->out->set_value(i);
    });
  return Future<std::size_t>(first->out);
}

} // namespace nu
