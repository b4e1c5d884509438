// Proclet classes the runtime's unit tests call: values, errors, handles
// in fields, call chains. Registered in TestProclets.cpp.
#pragma once

#include <nu/nu.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace nutest {

inline std::atomic<int> counters_destroyed{0};

struct CustomError {
  int code;
};

class [[nu::proclet]] Counter {
public:
  explicit Counter(int start = 0) : value_(start) {}
  /// From its decimal text (make_proclet with a string literal).
  explicit Counter(std::string start) : value_(std::stoi(start)) {}
  ~Counter() { ++counters_destroyed; }
  void Add(int n) {
    std::scoped_lock lock(mu_);
    value_ += n;
  }
  int Get() const {
    std::scoped_lock lock(mu_);
    return value_;
  }
  std::string Echo(const std::string &s) { return s + "!"; }
  std::vector<int> Range(int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i)
      out.push_back(i);
    return out;
  }
  std::optional<int> Maybe(bool some) {
    return some ? std::optional<int>(value_) : std::nullopt;
  }
  void Throw(std::string what) { throw std::invalid_argument(what); }
  void ThrowCustom() { throw CustomError{7}; }
  std::uint64_t AddressOf(const std::vector<int> &v) {
    return reinterpret_cast<std::uintptr_t>(&v);
  }
  void Sleep(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  nu::NodeId Where() { return nu::this_node(); }

private:
  mutable std::mutex mu_;
  int value_;
};

/// Holds a handle in its state.
class [[nu::proclet]] Holder {
public:
  void Set(nu::Proclet<Counter> c) { held_ = std::move(c); }
  nu::Proclet<Counter> Take() { return std::move(held_); }
  int Read() { return held_ ? held_.Run(&Counter::Get) : -1; }
  /// A nested call in flight for \p ms, then a read through the handle.
  int SleepThenRead(int ms) {
    held_.Run(&Counter::Sleep, ms);
    return held_.Run(&Counter::Get);
  }
  void Drop() { held_.reset(); }
  /// A call with an effect on another proclet.
  void AddToHeld(int n) { held_.Run(&Counter::Add, n); }
  /// A proclet made inside a method.
  void MakeOne() { held_ = nu::make_proclet<Counter>(); }

private:
  nu::Proclet<Counter> held_;
};

/// A link of a call chain: Depth() calls the next link synchronously.
class [[nu::proclet]] Link {
public:
  void SetNext(nu::Proclet<Link> next) { next_ = std::move(next); }
  int Depth() { return next_ ? 1 + next_.Run(&Link::Depth) : 1; }
  /// A call in flight for \p ms that then calls the next link.
  int SleepThenAsk(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return next_.Run(&Link::Answer);
  }
  int Answer() const { return 42; }

private:
  nu::Proclet<Link> next_;
};

/// Its constructor throws on request.
class [[nu::proclet]] Fragile {
public:
  explicit Fragile(bool fail) {
    if (fail)
      throw std::runtime_error("constructor failed");
  }

private:
  int unused_ = 0;
};

/// A state of any size, for migrations of large proclets.
class [[nu::proclet]] Blob {
public:
  void Fill(std::uint64_t bytes, std::uint8_t seed) {
    data_.resize(bytes);
    for (std::uint64_t i = 0; i < bytes; ++i)
      data_[i] = static_cast<std::uint8_t>(seed + i * 7);
  }
  std::uint64_t Sum() const {
    std::uint64_t sum = 0;
    for (std::uint8_t b : data_)
      sum += b;
    return sum;
  }
  std::uint64_t Size() const { return data_.size(); }
  void Adopt(std::vector<std::uint8_t> data) { data_ = std::move(data); }
  void Assign(const std::vector<std::uint8_t> &data) { data_ = data; }
  std::vector<std::uint8_t> Copy() const {
    nu::CallerHeap for_caller;
    return data_;
  }

private:
  std::vector<std::uint8_t> data_;
};

class NotAProclet {};

} // namespace nutest
