// The RESP2 request parser (Redis's processMultibulkBuffer and
// processInlineBuffer, with their error texts) and the reply writer.
#include "Resp.hpp"

#include "Numbers.hpp"

#include <cctype>
#include <charconv>

namespace kv {
namespace {

/// Empties \p c (a vector or a string), letting its memory go if a big
/// request made it large.
template <class C> void clear_small(C &c) {
  if (c.capacity() > 1024)
    C().swap(c); // (`c = {}` or `c = C()` may keep the memory)
  else
    c.clear();
}

} // namespace

RespParser::Status RespParser::parse(std::string_view in) {
  if (!started_) {
    if (in.empty())
      return Status::Incomplete;
    started_ = true;
    inline_ = in.front() != '*';
    pos_ = inline_ ? 0 : 1;
  }
  return inline_ ? parse_inline(in) : parse_multibulk(in);
}

void RespParser::reset() {
  started_ = false;
  pos_ = 0;
  count_ = bulk_ = -1;
  scanned_ = 0;
  clear_small(spans_);
}

std::size_t RespParser::allocated() const {
  return spans_.capacity() * sizeof spans_[0] +
         args_.capacity() * sizeof args_[0] + unquoted_.capacity();
}

RespParser::Status RespParser::fail(std::string message) {
  error_ = "Protocol error: " + std::move(message);
  reset();
  return Status::Error;
}

RespParser::Status RespParser::complete(std::string_view in,
                                        std::size_t consumed) {
  clear_small(args_);
  for (auto [offset, length] : spans_)
    args_.push_back(in.substr(offset, length));
  reset();
  consumed_ = consumed;
  return Status::Complete;
}

RespParser::Status RespParser::parse_multibulk(std::string_view in) {
  while (count_ < 0 || static_cast<std::int64_t>(spans_.size()) < count_) {
    if (bulk_ < 0) { // a "*N\r\n" or "$L\r\n" line
      std::size_t cr = in.find('\r', pos_);
      if (cr == std::string_view::npos || cr + 1 >= in.size()) {
        if (in.size() - pos_ > kMaxInline)
          return fail(count_ < 0 ? "too big mbulk count string"
                                 : "too big bulk count string");
        return Status::Incomplete;
      }
      if (count_ < 0) {
        auto n = parse_int64(in.substr(pos_, cr - pos_));
        if (!n || *n > kMaxMultibulk)
          return fail("invalid multibulk length");
        pos_ = cr + 2;
        if (*n <= 0)
          return complete(in, pos_);
        count_ = *n; // spans_ grows as the bulks arrive, not from here
        continue;
      }
      if (in[pos_] != '$')
        return fail(std::string("expected '$', got '") + in[pos_] + "'");
      auto n = parse_int64(in.substr(pos_ + 1, cr - pos_ - 1));
      if (!n || *n < 0 || static_cast<std::uint64_t>(*n) > kMaxBulk)
        return fail("invalid bulk length");
      bulk_ = *n;
      pos_ = cr + 2;
    }
    std::size_t end = pos_ + static_cast<std::size_t>(bulk_) + 2;
    if (in.size() < end)
      return Status::Incomplete;
    spans_.emplace_back(pos_, static_cast<std::size_t>(bulk_));
    pos_ = end;
    bulk_ = -1;
  }
  return complete(in, pos_);
}

RespParser::Status RespParser::parse_inline(std::string_view in) {
  std::size_t nl = in.find('\n', scanned_);
  if (nl == std::string_view::npos) {
    scanned_ = in.size();
    if (in.size() > kMaxInline)
      return fail("too big inline request");
    return Status::Incomplete;
  }
  if (nl > kMaxInline)
    return fail("too big inline request");
  std::string_view line = in.substr(0, nl);
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  Status status = split_inline(line);
  if (status != Status::Complete)
    return status;
  reset();
  consumed_ = nl + 1;
  return status;
}

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = static_cast<char>(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/// One quoted argument (sdssplitargs): \p s starts at the quote; appends
/// the unescaped text to \p out and returns the length taken, or 0 if the
/// quotes are unbalanced.
std::size_t unquote(std::string_view s, std::string &out) {
  char quote = s[0];
  for (std::size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == quote) {
      bool at_end = i + 1 == s.size() || is_space(s[i + 1]);
      return at_end ? i + 1 : 0;
    }
    if (c == '\\' && i + 1 < s.size()) {
      char e = s[i + 1];
      if (quote == '\'' && e == '\'') {
        out += '\'';
        ++i;
        continue;
      }
      if (quote == '\'') {
        out += c;
        continue;
      }
      if (e == 'x' && i + 3 < s.size() && hex_digit(s[i + 2]) >= 0 &&
          hex_digit(s[i + 3]) >= 0) {
        out +=
            static_cast<char>(hex_digit(s[i + 2]) * 16 + hex_digit(s[i + 3]));
        i += 3;
        continue;
      }
      constexpr std::string_view from = "nrtba", to = "\n\r\t\b\a";
      auto k = from.find(e);
      out += k == std::string_view::npos ? e : to[k];
      ++i;
      continue;
    }
    out += c;
  }
  return 0;
}

} // namespace

RespParser::Status RespParser::split_inline(std::string_view line) {
  clear_small(args_);
  clear_small(unquoted_);
  unquoted_.reserve(line.size()); // never longer: views into it stay valid
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && is_space(line[i]))
      ++i;
    if (i == line.size())
      return Status::Complete;
    if (line[i] == '"' || line[i] == '\'') {
      std::size_t from = unquoted_.size();
      std::size_t taken = unquote(line.substr(i), unquoted_);
      if (taken == 0)
        return fail("unbalanced quotes in request");
      args_.push_back(
          std::string_view(unquoted_).substr(from, unquoted_.size() - from));
      i += taken;
      continue;
    }
    std::size_t start = i;
    while (i < line.size() && !is_space(line[i]))
      ++i;
    args_.push_back(line.substr(start, i - start));
  }
}

void RespWriter::error(std::string_view message) {
  out_ += '-';
  for (char c : message) // a reply line must not break
    out_ += c == '\r' || c == '\n' ? ' ' : c;
  out_ += "\r\n";
}

void RespWriter::integer(std::int64_t n) { header(':', n); }

void RespWriter::bulk(std::string_view s) {
  header('$', static_cast<std::int64_t>(s.size()));
  out_.append(s);
  out_ += "\r\n";
}

void RespWriter::line(char type, std::string_view s) {
  out_ += type;
  out_.append(s);
  out_ += "\r\n";
}

void RespWriter::header(char type, std::int64_t n) {
  char buf[24];
  buf[0] = type;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf - 2, n);
  (void)ec; // 20 digits and a sign always fit
  end[0] = '\r';
  end[1] = '\n';
  out_.append(buf, static_cast<std::size_t>(end + 2 - buf));
}

} // namespace kv
