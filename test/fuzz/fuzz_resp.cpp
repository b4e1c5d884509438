// Fuzzes nu-kvstore's RESP request parser (examples/kvstore/Resp.hpp) fed a
// connection's bytes in pieces, as kv::Connection::run_requests does.
#include "Resp.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

namespace {

// Byte 0 seeds the piece sizes (1 to 2^(b % 17) bytes, pseudo-random); the
// rest is what a client sent. Each call gets the unconsumed bytes in a
// fresh buffer of exactly their size, so a view kept into an earlier
// buffer, or a read past the end, is an ASan report.

using kv::RespParser;

constexpr std::size_t kCalls = 512; // then the rest comes at once
// An argument costs the parser at most 16 bytes of list (twice over,
// vectors double) per 2 bytes of input ("a a a"), plus an unquoted copy.
constexpr std::size_t kBytesPerInputByte = 40;
constexpr std::size_t kSlack = 4096;

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_resp: %s\n", what);
    std::abort();
  }
}

class Pieces {
public:
  explicit Pieces(std::uint8_t seed)
      : state_(seed * 2654435761u + 1), limit_(std::size_t{1} << (seed % 17)) {}
  std::size_t next() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return 1 + (state_ >> 33) % limit_;
  }

private:
  std::uint64_t state_;
  std::size_t limit_;
};

/// Reads every argument, so ASan sees a view that outlived its bytes.
void touch(const RespParser &parser) {
  unsigned sum = 0;
  for (std::string_view arg : parser.args())
    for (char c : arg)
      sum += static_cast<unsigned char>(c);
  volatile unsigned sink = sum;
  (void)sink;
}

class Client {
public:
  explicit Client(std::string_view sent, std::uint8_t seed)
      : sent_(sent), pieces_(seed) {}
  void run();

private:
  /// Parses the unconsumed bytes; false once the connection would close.
  bool parse_once();
  void receive() {
    std::size_t n = ++calls_ > kCalls ? sent_.size() : pieces_.next();
    fed_ = std::min(sent_.size(), fed_ + n);
  }

  std::string_view sent_;
  Pieces pieces_;
  RespParser parser_;
  std::size_t fed_ = 0;   // bytes received so far
  std::size_t begin_ = 0; // the first unconsumed one
  std::size_t calls_ = 0;
  bool need_more_ = true;
};

void Client::run() {
  while (true) {
    if (need_more_) {
      if (fed_ == sent_.size())
        return;
      receive();
    }
    if (begin_ == fed_) {
      need_more_ = true;
      continue;
    }
    if (!parse_once())
      return;
  }
}

bool Client::parse_once() {
  const std::size_t held = fed_ - begin_;
  auto buffer = std::make_unique<char[]>(held);
  std::memcpy(buffer.get(), sent_.data() + begin_, held);
  auto status = parser_.parse({buffer.get(), held});
  check(parser_.allocated() <= kBytesPerInputByte * fed_ + kSlack,
        "the parser holds more than the bytes that came warrant");
  if (status == RespParser::Status::Error) {
    check(parser_.error().starts_with("Protocol error: "), "error text");
    return false;
  }
  need_more_ = status == RespParser::Status::Incomplete;
  if (need_more_)
    return true;
  check(parser_.consumed() > 0 && parser_.consumed() <= held,
        "a complete request that took no bytes or more than it had");
  touch(parser_);
  begin_ += parser_.consumed();
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  if (size == 0)
    return 0;
  Client client({reinterpret_cast<const char *>(data) + 1, size - 1}, data[0]);
  client.run();
  return 0;
}
