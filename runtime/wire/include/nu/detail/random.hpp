// The standard random engines and distributions as state that migrates:
// cereal writes the textual state the standard gives them (operator<<),
// so a moved proclet's stream goes on where it was.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include <cereal/cereal.hpp>

#include <cstddef>
#include <locale>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>

namespace nu::detail {

template <class T> struct IsStdRandom : std::false_type {};
template <class U, U A, U C, U M>
struct IsStdRandom<std::linear_congruential_engine<U, A, C, M>>
    : std::true_type {};
template <class U, std::size_t W, std::size_t N, std::size_t M, std::size_t R,
          U A, std::size_t Us, U D, std::size_t S, U B, std::size_t T, U C,
          std::size_t L, U F>
struct IsStdRandom<
    std::mersenne_twister_engine<U, W, N, M, R, A, Us, D, S, B, T, C, L, F>>
    : std::true_type {};
template <class U, std::size_t W, std::size_t S, std::size_t R>
struct IsStdRandom<std::subtract_with_carry_engine<U, W, S, R>>
    : std::true_type {};
template <class E, std::size_t P, std::size_t R>
struct IsStdRandom<std::discard_block_engine<E, P, R>> : std::true_type {};
template <class E, std::size_t W, class U>
struct IsStdRandom<std::independent_bits_engine<E, W, U>> : std::true_type {};
template <class E, std::size_t K>
struct IsStdRandom<std::shuffle_order_engine<E, K>> : std::true_type {};
template <> struct IsStdRandom<std::bernoulli_distribution> : std::true_type {};

#define NU_STD_DISTRIBUTION(name)                                              \
  template <class V> struct IsStdRandom<std::name<V>> : std::true_type {};
NU_STD_DISTRIBUTION(uniform_int_distribution)
NU_STD_DISTRIBUTION(uniform_real_distribution)
NU_STD_DISTRIBUTION(binomial_distribution)
NU_STD_DISTRIBUTION(geometric_distribution)
NU_STD_DISTRIBUTION(negative_binomial_distribution)
NU_STD_DISTRIBUTION(poisson_distribution)
NU_STD_DISTRIBUTION(exponential_distribution)
NU_STD_DISTRIBUTION(gamma_distribution)
NU_STD_DISTRIBUTION(weibull_distribution)
NU_STD_DISTRIBUTION(extreme_value_distribution)
NU_STD_DISTRIBUTION(normal_distribution)
NU_STD_DISTRIBUTION(lognormal_distribution)
NU_STD_DISTRIBUTION(chi_squared_distribution)
NU_STD_DISTRIBUTION(cauchy_distribution)
NU_STD_DISTRIBUTION(fisher_f_distribution)
NU_STD_DISTRIBUTION(student_t_distribution)
NU_STD_DISTRIBUTION(discrete_distribution)
NU_STD_DISTRIBUTION(piecewise_constant_distribution)
NU_STD_DISTRIBUTION(piecewise_linear_distribution)
#undef NU_STD_DISTRIBUTION

template <class T>
concept StdRandom = IsStdRandom<std::remove_cv_t<T>>::value;

} // namespace nu::detail

namespace cereal {

template <class Archive, nu::detail::StdRandom T>
void save(Archive &ar, const T &value) {
  std::ostringstream text;
  text.imbue(std::locale::classic());
  text << value;
  ar(text.str());
}

template <class Archive, nu::detail::StdRandom T>
void load(Archive &ar, T &value) {
  std::string saved;
  ar(saved);
  std::istringstream text(saved);
  text.imbue(std::locale::classic());
  text >> value;
  if (text.fail())
    throw Exception("nu: a random engine or distribution's saved state "
                    "does not parse");
}

} // namespace cereal
