// The accumulator of the Nu paper (Figure 4): two proclets, methods,
// shipped closures, async calls and a proclet handle passed as argument.
#include <nu/nu.hpp>

#include <iostream>
#include <mutex>

class [[nu::proclet]] Accumulator {
public:
  explicit Accumulator(int V) : Val(V) {}
  void Add(int N) {
    std::scoped_lock L(Mu);
    Val += N;
  }
  int Get() {
    std::scoped_lock L(Mu);
    return Val;
  }

private:
  std::mutex Mu;
  int Val;
};

int main(int argc, char **argv) {
  return nu::main(argc, argv, [] {
    auto P1 = nu::make_proclet<Accumulator>(10);
    auto P2 = nu::make_proclet<Accumulator>(10);
    std::cout << P1.Run(&Accumulator::Get) << "\n"; // 10
    std::cout << P1.Run(+[](Accumulator &A) {
      A.Add(5);
      return A.Get();
    }) << "\n"; // 15
    auto F1 = P1.RunAsync(&Accumulator::Get);
    auto F2 = P2.RunAsync(&Accumulator::Get);
    std::cout << F1.get() + F2.get() << "\n"; // 25
    P1.Run(
        +[](Accumulator &A, nu::Proclet<Accumulator> P) {
          A.Add(P.Run(&Accumulator::Get));
        },
        P2);
  });
}
