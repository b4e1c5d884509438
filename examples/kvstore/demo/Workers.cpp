// The client threads of the load generator: pipelined batches written at
// once, each reply timed from its batch's write; the first failure stops all.
#include "Workers.hpp"

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
    S->Conn = std::make_unique<Connection>();
    S->Conn->open(Opts.Servers[I % Opts.Servers.size()], Opts.TimeoutMs);
    Slots.push_back(std::move(S));
  }
}

Workers::~Workers() {
  // Unwinding with threads running: do not wait for their reply timeouts.
  for (auto &S : Slots)
    if (!Threads.empty())
      S->Conn->shutdown();
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

void Workers::expectReplies(Connection &Conn, int Count) {
  Reply R;
  for (int I = 0; I < Count; ++I) {
    Conn.read(R);
    if (R.Type == '-')
      throw std::runtime_error(Conn.address().text() +
                               ": replied with an error: " + R.Text);
  }
}

void Workers::populateBody(Slot &S, std::size_t Index) {
  const long Step = static_cast<long>(Slots.size());
  const int PerCommand = std::max(Opts.MsetKeys, 1);
  const int Commands =
      Opts.MsetKeys > 0 ? Opts.Pipeline : std::max(Opts.Pipeline, 64);
  std::string Batch;
  char Key[32];
  long Next = static_cast<long>(Index);
  while (Next < Opts.Keys && !Stopping) {
    Batch.clear();
    int Sent = 0, Keys = 0;
    for (; Sent < Commands && Next < Opts.Keys; ++Sent) {
      long Last = std::min(Opts.Keys, Next + Step * PerCommand);
      long Count = (Last - Next + Step - 1) / Step;
      appendArray(Batch, 1 + 2 * static_cast<std::size_t>(Count));
      appendBulk(Batch, Opts.MsetKeys > 0 ? "MSET" : "SET");
      for (; Next < Last; Next += Step, ++Keys) {
        appendBulk(Batch, keyName(Key, Next));
        appendBulk(Batch, Value);
      }
    }
    S.Conn->write(Batch);
    expectReplies(*S.Conn, Sent);
    Populated += Keys;
  }
}

void Workers::loadBody(Slot &S, std::size_t Index) {
  std::mt19937_64 Rng(0x9e3779b97f4a7c15ULL * (Index + 1));
  std::uniform_int_distribution<long> AnyKey(0, Opts.Keys - 1);
  std::bernoulli_distribution IsSet(Opts.SetRatio);
  std::vector<std::uint64_t> Times(static_cast<std::size_t>(Opts.Pipeline));
  std::string Batch;
  char Key[32];
  Reply R;
  while (!Stopping) {
    Batch.clear();
    for (int I = 0; I < Opts.Pipeline; ++I) {
      std::string_view Name = keyName(Key, AnyKey(Rng));
      if (IsSet(Rng))
        appendCommand(Batch, {"SET", Name, Value});
      else
        appendCommand(Batch, {"GET", Name});
    }
    auto Sent = Clock::now();
    S.Conn->write(Batch);
    for (auto &Time : Times) {
      S.Conn->read(R);
      if (R.Type == '-')
        throw std::runtime_error(S.Conn->address().text() +
                                 ": replied with an error: " + R.Text);
      Time = static_cast<std::uint64_t>(
          std::chrono::nanoseconds(Clock::now() - Sent).count());
    }
    std::scoped_lock L(S.Mu);
    for (auto Time : Times)
      S.Latency.record(Time);
  }
}

} // namespace kvload
