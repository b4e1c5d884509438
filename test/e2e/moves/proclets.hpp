// The proclets the migration e2e scenarios move: a counter whose state
// can be checked, and a blob big enough for a transfer to take a while.
#pragma once

#include <nu/nu.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

class [[nu::proclet]] Counter {
public:
  explicit Counter(std::int64_t start = 0) : value_(start), pad_(kPad) {
    for (std::size_t i = 0; i < pad_.size(); ++i)
      pad_[i] = static_cast<std::int32_t>(i * 7 + 1);
  }
  void Add(std::int64_t n) {
    std::scoped_lock lock(mu_);
    value_ += n;
  }
  std::int64_t Get() const {
    std::scoped_lock lock(mu_);
    return value_;
  }
  nu::NodeId Where() const { return nu::this_node(); }
  void Sleep(int ms) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  // True if the state that never changes came through every move.
  bool Intact() const {
    if (pad_.size() != kPad)
      return false;
    for (std::size_t i = 0; i < pad_.size(); ++i)
      if (pad_[i] != static_cast<std::int32_t>(i * 7 + 1))
        return false;
    return true;
  }

private:
  static constexpr std::size_t kPad = 4096;
  mutable std::mutex mu_;
  std::int64_t value_;
  std::vector<std::int32_t> pad_;
};

class [[nu::proclet]] Blob {
public:
  explicit Blob(std::uint64_t size) : data_(size) {
    for (std::size_t i = 0; i < data_.size(); ++i)
      data_[i] = static_cast<char>((i * 131 + 17) >> 3);
    sum_ = Checksum();
  }
  // A hash of the whole state, computed now.
  std::uint64_t Checksum() const {
    std::uint64_t h = 1469598103934665603ull ^ data_.size();
    std::size_t i = 0;
    for (; i + 8 <= data_.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, data_.data() + i, 8);
      h = (h ^ w) * 1099511628211ull;
    }
    for (; i < data_.size(); ++i)
      h = (h ^ static_cast<unsigned char>(data_[i])) * 1099511628211ull;
    return h;
  }
  // The checksum computed when it was made.
  std::uint64_t Expected() const { return sum_; }
  nu::NodeId Where() const { return nu::this_node(); }

private:
  std::vector<char> data_;
  std::uint64_t sum_ = 0;
};
