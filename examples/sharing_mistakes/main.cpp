// A program with one mistake per rule nuc enforces: the README demo runs
// nuc on it to show each diagnostic. It is not meant to compile.
#include <nu/nu.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

int RequestsServed; // mutable global: stays behind when a proclet moves

class [[nu::proclet]] Inventory {
public:
  void Add(const char *Item);                       // a pointer into the caller
  void Take(std::string &Item);                     // an out-parameter
  std::vector<std::string> &All() { return Items; } // a reference to state
  std::string_view First() const;                   // a view into state
  int Count() {
    ++RequestsServed;
    return static_cast<int>(Items.size());
  }

private:
  std::vector<std::string> Items;
  Inventory *Self = this;             // a raw pointer as state
  std::function<void()> OnChange;     // cannot be serialized
  [[nu::transient]] int *Scratch = 0; // fine: re-created after migration
};

struct Config { // not marked [[nu::proclet]]
  int Shards = 4;
};

void run() {
  auto Inv = nu::make_proclet<Inventory>();
  std::string Wanted = "apple";
  Inv.Run([&](Inventory &I) { return I.Count() + Wanted.size(); });
  auto Cfg = nu::make_proclet<Config>();
}
