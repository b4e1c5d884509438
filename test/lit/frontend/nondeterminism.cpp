// nu-nondeterminism (a warning): a replicated proclet's backups run its
// methods again, so a method whose result depends on a clock, a random
// number or a thread id would leave them with another state.
// RUN: %nuc %s -- %flags -Xclang -verify -Xclang -verify-ignore-unexpected=note
#include <nu/nu.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <random>
#include <thread>

class [[nu::proclet]] Session {
public:
  void Touch() {
    last_ = std::chrono::steady_clock::now().time_since_epoch().count(); // expected-warning {{proclet method 'Session::Touch' calls 'std::chrono::steady_clock::now', whose result differs from run to run}}
    last_ += std::chrono::steady_clock::now().time_since_epoch().count(); // one warning per function and method
  }
  void Stamp() { last_ = std::time(nullptr); } // expected-warning {{calls 'time'}}
  void Roll() {
    last_ = std::rand();                       // expected-warning {{calls 'rand'}}
    std::random_device dev;                    // expected-warning {{calls 'std::random_device'}}
    std::mt19937 gen(42);                      // seeded: deterministic
    last_ += gen() + dev();
  }
  void Owner() {
    auto id = std::this_thread::get_id();      // expected-warning {{calls 'std::this_thread::get_id'}}
    (void)id;
  }
  void At(long now) { last_ = now; }           // passed in: fine
  void Later() {
    auto f = [] { return std::chrono::system_clock::now(); }; // expected-warning {{proclet method 'Session::Later' calls 'std::chrono::system_clock::now'}}
    (void)f;
  }

private:
  long last_ = 0;
};

int main() {
  auto s = nu::make_proclet<Session>();
  s.Run(&Session::At, static_cast<long>(std::time(nullptr))); // the caller reads the clock: fine
  s.Run(+[](Session &, int n) { return n + std::rand(); }, 1); // expected-warning {{closure passed to 'Run' calls 'rand'}}
}
