// RESP2, the Redis protocol: an incremental request parser (multibulk and
// inline commands, Redis's limits and errors) and a reply writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kv {

/// The parser's limits (Redis's defaults, except the multibulk count).
inline constexpr std::size_t kMaxBulk = 512u << 20;
inline constexpr std::int64_t kMaxMultibulk = 1024 * 1024;
inline constexpr std::size_t kMaxInline = 64 * 1024;

/// Parses one request at a time from the unconsumed bytes of a connection.
/// Between calls the caller may move its buffer, but must pass the same
/// unconsumed bytes again (plus any new ones): progress is kept as offsets.
class RespParser {
public:
  enum class Status { Complete, Incomplete, Error };

  /// Parses the request at the start of \p in. Complete: args() and
  /// consumed() describe it (no args: a blank line or `*0`, to be skipped
  /// with no reply). Error: error() says why; the connection must close.
  Status parse(std::string_view in);

  /// The arguments of the last complete request (views into its input).
  const std::vector<std::string_view> &args() const { return args_; }
  /// The bytes the last complete request took.
  std::size_t consumed() const { return consumed_; }
  /// The bytes the parser holds itself (its argument lists), apart from
  /// its input: they grow with the arguments that arrived, never with the
  /// count or length a request announces.
  std::size_t allocated() const;
  /// The protocol error, as Redis words it ("Protocol error: ...").
  const std::string &error() const { return error_; }

private:
  Status parse_inline(std::string_view in);
  Status parse_multibulk(std::string_view in);
  Status split_inline(std::string_view line);
  Status fail(std::string message);
  Status complete(std::string_view in, std::size_t consumed);
  void reset();

  // Progress through the current request.
  bool started_ = false;
  bool inline_ = false;
  std::size_t pos_ = 0;     // multibulk: the next unread byte
  std::int64_t count_ = -1; // multibulk: arguments announced (-1: unread)
  std::int64_t bulk_ = -1;  // the length of the bulk being read (-1: none)
  std::size_t scanned_ = 0; // inline: searched this far for '\n'
  std::vector<std::pair<std::size_t, std::size_t>> spans_; // offset, length
  // Results.
  std::vector<std::string_view> args_;
  std::string unquoted_; // inline arguments that had quotes
  std::size_t consumed_ = 0;
  std::string error_;
};

/// Appends RESP2 replies to a string.
class RespWriter {
public:
  explicit RespWriter(std::string &out) : out_(out) {}

  void simple(std::string_view s) { line('+', s); }
  /// \p message without the leading '-' (e.g. "ERR syntax error").
  void error(std::string_view message);
  void integer(std::int64_t n);
  void bulk(std::string_view s);
  void null_bulk() { out_ += "$-1\r\n"; }
  void array(std::size_t n) { header('*', n); }
  void null_array() { out_ += "*-1\r\n"; }

  std::string &buffer() { return out_; }

private:
  void line(char type, std::string_view s);
  void header(char type, std::int64_t n);

  std::string &out_;
};

} // namespace kv
