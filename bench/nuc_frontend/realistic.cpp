// Benchmark input for nuc's frontend: a realistic, diagnostic-free unit with
// heavy standard headers and five proclets, timed against clang -fsyntax-only.
#include <nu/nu.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace shop {

using Clock = std::chrono::steady_clock;

// Aggregates: serializable member by member, so they may cross a boundary.
struct Item {
  std::string Sku;
  std::int64_t PriceCents = 0;
  int Quantity = 0;
};

struct Order {
  std::uint64_t Id = 0;
  std::string Customer;
  std::vector<Item> Items;
  std::optional<std::string> Coupon;
};

using Event = std::variant<std::monostate, Order, std::string>;

std::int64_t total(const Order &O) {
  return std::accumulate(O.Items.begin(), O.Items.end(), std::int64_t{0},
                         [](std::int64_t Sum, const Item &I) {
                           return Sum + I.PriceCents * I.Quantity;
                         });
}

// A generic key-value shard, instantiated for two value types below.
template <class V> class [[nu::proclet]] Shard {
public:
  explicit Shard(std::string Name) : Name(std::move(Name)) {}

  void Put(const std::string &Key, V Value) {
    std::scoped_lock L(Mu);
    Data[Key] = std::move(Value);
    Writes.fetch_add(1, std::memory_order_relaxed);
  }

  std::optional<V> Get(const std::string &Key) {
    std::scoped_lock L(Mu);
    auto It = Data.find(Key);
    return It == Data.end() ? std::nullopt : std::optional<V>(It->second);
  }

  std::vector<std::string> Keys() {
    std::scoped_lock L(Mu);
    std::vector<std::string> Out;
    Out.reserve(Data.size());
    for (const auto &[K, Unused] : Data)
      Out.push_back(K);
    std::sort(Out.begin(), Out.end());
    return Out;
  }

  std::uint64_t WriteCount() { return Writes.load(); }

private:
  std::mutex Mu;
  std::string Name;
  std::unordered_map<std::string, V> Data;
  std::atomic<std::uint64_t> Writes{0};
};

class [[nu::proclet]] Inventory {
public:
  void Restock(Item I) {
    std::scoped_lock L(Mu);
    Stock[I.Sku] += I.Quantity;
  }

  bool Reserve(const Order &O) {
    std::scoped_lock L(Mu);
    bool Ok = std::all_of(O.Items.begin(), O.Items.end(), [&](const Item &I) {
      return Stock[I.Sku] >= I.Quantity;
    });
    if (Ok)
      for (const Item &I : O.Items)
        Stock[I.Sku] -= I.Quantity;
    return Ok;
  }

  int Available(const std::string &Sku) {
    std::scoped_lock L(Mu);
    auto It = Stock.find(Sku);
    return It == Stock.end() ? 0 : It->second;
  }

private:
  std::mutex Mu;
  std::map<std::string, int> Stock;
};

class [[nu::proclet]] Ledger {
public:
  void Record(std::uint64_t OrderId, std::int64_t Cents) {
    std::scoped_lock L(Mu);
    Entries.emplace_back(OrderId, Cents);
  }

  std::int64_t Balance() {
    std::scoped_lock L(Mu);
    std::int64_t Sum = 0;
    for (const auto &[Id, Cents] : Entries)
      Sum += Cents;
    return Sum;
  }

  std::size_t Size() {
    std::scoped_lock L(Mu);
    return Entries.size();
  }

private:
  std::mutex Mu;
  std::vector<std::pair<std::uint64_t, std::int64_t>> Entries;
};

// Holds handles to other proclets and forwards work to them.
class [[nu::proclet]] Checkout {
public:
  Checkout(nu::Proclet<Inventory> Inv, nu::Proclet<Ledger> Led,
           nu::Proclet<Shard<Order>> Orders)
      : Inv(std::move(Inv)), Led(std::move(Led)), Orders(std::move(Orders)) {}

  bool Place(Order O) {
    if (!Inv.Run(&Inventory::Reserve, O))
      return false;
    Led.Run(&Ledger::Record, O.Id, total(O));
    Orders.Run(&Shard<Order>::Put, std::to_string(O.Id), O);
    History[O.Id] = Clock::now().time_since_epoch().count();
    return true;
  }

  std::size_t Placed() { return History.size(); }

private:
  nu::Proclet<Inventory> Inv;
  nu::Proclet<Ledger> Led;
  nu::Proclet<Shard<Order>> Orders;
  std::map<std::uint64_t, Clock::rep> History; // ticks since epoch
};

Order makeOrder(std::uint64_t Id, const std::string &Customer) {
  Order O{Id, Customer, {}, std::nullopt};
  O.Items.push_back({"apple", 120, 3});
  O.Items.push_back({"pear", 95, 1 + static_cast<int>(Id % 3)});
  if (Id % 2 == 0)
    O.Coupon = "EVEN";
  return O;
}

std::string describe(const Event &E) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "nothing"; }
    std::string operator()(const Order &O) const {
      return "order " + std::to_string(O.Id);
    }
    std::string operator()(const std::string &S) const { return S; }
  };
  return std::visit(Visitor{}, E);
}

void run() {
  auto Inv = nu::make_proclet<Inventory>();
  auto Led = nu::make_proclet<Ledger>();
  auto Orders = nu::make_proclet<Shard<Order>>(std::string("orders"));
  auto Notes = nu::make_proclet<Shard<std::string>>(std::string("notes"));
  auto Shop = nu::make_proclet<Checkout>(Inv, Led, Orders);

  Inv.Run(&Inventory::Restock, Item{"apple", 120, 100});
  Inv.Run(
      +[](Inventory &I, int N) {
        I.Restock(Item{"pear", 95, N});
      },
      50);

  std::vector<nu::Future<bool>> Pending;
  for (std::uint64_t Id = 1; Id <= 8; ++Id)
    Pending.push_back(Shop.RunAsync(&Checkout::Place, makeOrder(Id, "ann")));
  int Accepted = 0;
  for (auto &F : Pending)
    Accepted += F.get() ? 1 : 0;

  Notes.Run(&Shard<std::string>::Put, std::string("greeting"),
            std::string("hello"));
  auto Note = Notes.Run(
      +[](Shard<std::string> &S, std::string K) { return S.Get(K); },
      std::string("greeting"));
  auto Keys = Orders.RunAsync(&Shard<Order>::Keys);
  auto Writes = Orders.Run(
      +[](Shard<Order> &S) { return S.WriteCount() + S.Keys().size(); });

  std::function<std::string(const Event &)> Describe = describe;
  std::cout << Describe(Event{makeOrder(42, "bob")}) << " "
            << Note.value_or("?") << " " << Accepted << " " << Keys.get().size()
            << " " << Writes << " " << Led.Run(&Ledger::Balance) << " "
            << Inv.Run(&Inventory::Available, std::string("pear")) << "\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

} // namespace shop

int main(int argc, char **argv) { return nu::main(argc, argv, shop::run); }
