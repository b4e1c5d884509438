// The server's requirepass: a string behind a lock, and a comparison that
// reads every byte whatever the attempt holds.
#include "Password.hpp"

#include <algorithm>

namespace kv {

void Password::set(std::string password) {
  std::scoped_lock lock(mu_);
  password_ = std::move(password);
  required_.store(!password_.empty(), std::memory_order_release);
}

std::string Password::get() const {
  std::scoped_lock lock(mu_);
  return password_;
}

bool Password::matches(std::string_view attempt) const {
  std::scoped_lock lock(mu_);
  if (password_.empty())
    return false;
  // Every byte of the longer one is read, so the time taken does not tell
  // how much of a guess was right.
  std::size_t n = std::max(password_.size(), attempt.size());
  unsigned char differ = password_.size() != attempt.size();
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char a = i < password_.size() ? password_[i] : 0;
    unsigned char b = i < attempt.size() ? attempt[i] : 0;
    differ |= a ^ b;
  }
  return differ == 0;
}

} // namespace kv
