// The client threads of the load generator: pipelined batches written at
// once, each reply timed from its batch's write; the first failure stops all.
#include "Workers.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>

namespace kvload {
namespace {

using Clock = std::chrono::steady_clock;

/// "key:<Index>" into \p Buffer (at least 32 bytes).
std::string_view keyName(char *Buffer, long Index) {
  char *At = Buffer;
  for (char C : std::string_view("key:"))
    *At++ = C;
  At = std::to_chars(At, Buffer + 32, Index).ptr;
  return {Buffer, static_cast<std::size_t>(At - Buffer)};
}

std::string makeValue(int Size) {
  std::string Value(static_cast<std::size_t>(Size), 'v');
  for (std::size_t I = 0; I < Value.size(); ++I)
    Value[I] = static_cast<char>('a' + I % 26);
  return Value;
}

} // namespace

Workers::Workers(const Options &O) : Opts(O), Value(makeValue(O.ValueSize)) {
  for (int I = 0; I < Opts.Connections; ++I) {
    auto S = std::make_unique<Slot>();
    const Address &First = Opts.Servers[I % Opts.Servers.size()];
    if (Opts.Cluster) {
      std::vector<Address> Seeds{First};
      Seeds.insert(Seeds.end(), Opts.Servers.begin(), Opts.Servers.end());
      S->Routes = std::make_unique<Router>(Seeds, Opts.TimeoutMs);
    } else {
      S->Conn = std::make_unique<Connection>();
      S->Conn->open(First, Opts.TimeoutMs);
    }
    Slots.push_back(std::move(S));
  }
}

Workers::~Workers() {
  // Unwinding with threads running: do not wait for their reply timeouts.
  for (auto &S : Slots)
    if (!Threads.empty())
      S->Conn ? S->Conn->shutdown() : S->Routes->shutdown();
  stop();
}

void Workers::start(void (Workers::*Body)(Slot &, std::size_t)) {
  stop();
  Stopping = false;
  Running = static_cast<int>(Slots.size());
  for (std::size_t I = 0; I < Slots.size(); ++I)
    Threads.emplace_back(&Workers::run, this, Body, std::ref(*Slots[I]), I);
}

void Workers::startPopulate() { start(&Workers::populateBody); }
void Workers::startLoad() { start(&Workers::loadBody); }

void Workers::stop() {
  Stopping = true;
  for (std::thread &T : Threads)
    T.join();
  Threads.clear();
}

std::string Workers::error() const {
  std::scoped_lock L(ErrorMu);
  return Error;
}

long Workers::redirects() const {
  long Sum = 0;
  for (auto &S : Slots)
    Sum += S->Routes ? S->Routes->redirects() : 0;
  return Sum;
}

Histogram Workers::takeInterval() {
  Histogram All;
  for (auto &S : Slots) {
    std::scoped_lock L(S->Mu);
    All.merge(S->Latency);
    S->Latency.clear();
  }
  return All;
}

void Workers::run(void (Workers::*Body)(Slot &, std::size_t), Slot &S,
                  std::size_t Index) {
  try {
    (this->*Body)(S, Index);
  } catch (const std::exception &E) {
    std::scoped_lock L(ErrorMu);
    if (Error.empty())
      Error = E.what();
    Stopping = true;
  }
  --Running;
}

/// Sends \p Commands at once and reads their replies in order; an error
/// reply throws. Without --cluster all go on the slot's connection; with
/// it, each to the node serving \p Keys[i] (its first key). \p Times, if
/// given, gets each reply's time since the writes.
void Workers::exchange(Slot &S, const std::vector<std::string> &Commands,
                       const std::vector<std::string> &Keys,
                       std::vector<std::uint64_t> *Times) {
  std::vector<Connection *> To(Commands.size());
  std::vector<std::pair<Connection *, std::string>> Out;
  for (std::size_t I = 0; I < Commands.size(); ++I) {
    To[I] = S.Routes ? &S.Routes->forKey(Keys[I]) : S.Conn.get();
    auto It = std::find_if(Out.begin(), Out.end(),
                           [&](const auto &O) { return O.first == To[I]; });
    if (It == Out.end())
      It = Out.insert(Out.end(), {To[I], std::string()});
    It->second += Commands[I];
  }
  auto Sent = Clock::now();
  for (auto &[Conn, Bytes] : Out)
    Conn->write(Bytes);
  Reply R;
  for (std::size_t I = 0; I < Commands.size(); ++I) {
    if (S.Routes)
      S.Routes->finish(*To[I], Commands[I], R);
    else
      To[I]->read(R);
    if (R.Type == '-')
      throw std::runtime_error(To[I]->address().text() +
                               ": replied with an error: " + R.Text);
    if (Times)
      (*Times)[I] = static_cast<std::uint64_t>(
          std::chrono::nanoseconds(Clock::now() - Sent).count());
  }
}

void Workers::populateBody(Slot &S, std::size_t Index) {
  const long Step = static_cast<long>(Slots.size());
  const int PerCommand = std::max(Opts.MsetKeys, 1);
  const int Batch =
      Opts.MsetKeys > 0 ? Opts.Pipeline : std::max(Opts.Pipeline, 64);
  std::vector<std::string> Commands, Keys;
  char Key[32];
  long Next = static_cast<long>(Index);
  while (Next < Opts.Keys && !Stopping) {
    Commands.clear();
    Keys.clear();
    long Count = 0;
    for (int Sent = 0; Sent < Batch && Next < Opts.Keys; ++Sent) {
      long Last = std::min(Opts.Keys, Next + Step * PerCommand);
      std::string &C = Commands.emplace_back();
      appendArray(
          C, 1 + 2 * static_cast<std::size_t>((Last - Next + Step - 1) / Step));
      appendBulk(C, Opts.MsetKeys > 0 ? "MSET" : "SET");
      Keys.emplace_back(keyName(Key, Next));
      for (; Next < Last; Next += Step, ++Count) {
        appendBulk(C, keyName(Key, Next));
        appendBulk(C, Value);
      }
    }
    exchange(S, Commands, Keys, nullptr);
    Populated += Count;
  }
}

void Workers::loadBody(Slot &S, std::size_t Index) {
  std::mt19937_64 Rng(0x9e3779b97f4a7c15ULL * (Index + 1));
  std::uniform_int_distribution<long> AnyKey(0, Opts.Keys - 1);
  std::bernoulli_distribution IsSet(Opts.SetRatio);
  const auto Pipeline = static_cast<std::size_t>(Opts.Pipeline);
  std::vector<std::uint64_t> Times(Pipeline);
  std::vector<std::string> Commands(Pipeline), Keys(Pipeline);
  char Key[32];
  while (!Stopping) {
    for (std::size_t I = 0; I < Pipeline; ++I) {
      std::string_view Name = keyName(Key, AnyKey(Rng));
      Keys[I].assign(Name);
      Commands[I].clear();
      if (IsSet(Rng))
        appendCommand(Commands[I], {"SET", Name, Value});
      else
        appendCommand(Commands[I], {"GET", Name});
    }
    exchange(S, Commands, Keys, &Times);
    std::scoped_lock L(S.Mu);
    for (auto Time : Times)
      S.Latency.record(Time);
  }
}

} // namespace kvload
