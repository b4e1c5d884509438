// A user program compiled by the build test at -O3 with -Werror: the
// runtime's headers, inlined into user code, must not warn.
#include <nu/nu.hpp>
#include <nu/sharded_map.hpp>

#include <iostream>
#include <string>

class [[nu::proclet]] Counter {
public:
  explicit Counter(int Start) : Val(Start) {}
  void Add(long N) { Val += static_cast<int>(N); }
  int Get() { return Val; }
  void Name(std::string S) { Label = std::move(S); }

private:
  int Val;
  std::string Label;
};

// make_proclet, and a closure taking another proclet's handle.
void addOther() {
  auto P = nu::make_proclet<Counter>(1);
  auto Q = nu::make_proclet<Counter>(2);
  P.Run(
      +[](Counter &C, nu::Proclet<Counter> Other) {
        C.Add(Other.Run(&Counter::Get));
      },
      Q);
}

// Methods with arguments, and RunAsync.
void callMethods(nu::Proclet<Counter> P) {
  P.Run(&Counter::Add, 5L);
  P.Run(&Counter::Name, std::string("counter"));
  auto F = P.RunAsync(&Counter::Get);
  std::cout << F.get() << "\n";
}

// ShardedMap's Put and Get.
void useMap() {
  auto Map = nu::make_sharded_map<std::string, long>(4);
  Map.Put("a", 1);
  Map.Put(std::string("b"), 2);
  std::cout << Map.Get("a").value_or(0) + Map.Get("b").value_or(0) << "\n";
}

int main(int argc, char **argv) {
  return nu::main(argc, argv, [] {
    addOther();
    callMethods(nu::make_proclet<Counter>(3));
    useMap();
  });
}
