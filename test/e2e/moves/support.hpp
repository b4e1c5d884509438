// What the migration e2e scenarios share: checks that throw, the nodes of
// the logical process, lines for the test to wait for, argument parsing.
#pragma once

#include <nu/nu.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace moves {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A result that is not what the scenario expected.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(bool ok, const std::string &what) {
  if (!ok)
    throw Failure(what);
}

template <class A, class B>
void expect_eq(const A &actual, const B &expected, const std::string &what) {
  if (actual == expected)
    return;
  std::ostringstream out;
  out << what << ": got " << actual << ", expected " << expected;
  throw Failure(out.str());
}

inline long elapsed_ms(Clock::time_point start) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                            start)
          .count());
}

inline void print_flushed(const std::string &line) {
  std::cout << line << std::endl;
}

// Blocks until the test writes "go" to stdin.
inline void wait_for_go() {
  std::string line;
  check(static_cast<bool>(std::getline(std::cin, line)),
        "stdin ended before 'go'");
  expect_eq(line, std::string("go"), "line read from stdin");
}

// The nodes of the logical process.
struct Context {
  std::vector<nu::NodeId> all; // sorted
  nu::NodeId self = 0;
  // Every node but this one.
  std::vector<nu::NodeId> remote() const {
    std::vector<nu::NodeId> out;
    for (nu::NodeId n : all)
      if (n != self)
        out.push_back(n);
    return out;
  }
};

template <class T, class... A> nu::Proclet<T> make_on(nu::NodeId node, A... a) {
  return nu::make_proclet<T>(nu::ProcletOptions{.node = node}, a...);
}

using Scenarios = std::map<std::string, void (*)(const Context &)>;

// Waits for `count` nodes (10 s at most).
inline std::optional<Context> wait_for_nodes(std::size_t count) {
  auto deadline = Clock::now() + 10s;
  for (;;) {
    auto all = nu::nodes();
    if (all.size() >= count)
      return Context{all, nu::this_node()};
    if (Clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

// `--nodes N --scenario NAME`: runs the scenario once N nodes joined; 0 and
// "OK NAME" on success, else 1 (2: bad arguments, 3: too few nodes).
inline int run(int argc, char **argv, const Scenarios &scenarios) {
  if (argc != 5 || std::string(argv[1]) != "--nodes" ||
      std::string(argv[3]) != "--scenario" || !scenarios.count(argv[4])) {
    std::cerr << "usage: nu_e2e_moves_app --nodes N --scenario NAME\n";
    return 2;
  }
  std::string name = argv[4];
  auto ctx = wait_for_nodes(std::stoul(argv[2]));
  if (!ctx || ctx->remote().size() < 3) {
    std::cerr << "FAIL " << name << ": too few nodes joined\n";
    return 3;
  }
  try {
    scenarios.at(name)(*ctx);
  } catch (const std::exception &e) {
    std::cerr << "FAIL " << name << ": " << e.what() << std::endl;
    return 1;
  }
  std::cout << "OK " << name << std::endl;
  return 0;
}

} // namespace moves
