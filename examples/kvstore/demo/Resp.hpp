// A minimal blocking RESP2 client for the load generator: addresses, one
// connection with a buffered reply reader, and command encoding.
#pragma once

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kvload {

struct Address {
  std::string Host;
  int Port = 0;
  std::string text() const { return Host + ":" + std::to_string(Port); }
};

/// "host:port"; throws std::runtime_error when malformed.
Address parseAddress(std::string_view Text);

/// One RESP2 reply: Type is '+', '-', ':', '$' or '*'.
struct Reply {
  char Type = 0;
  std::string Text; // simple string, error or bulk string
  long long Integer = 0;
  bool Nil = false; // a nil bulk string or array
  std::vector<Reply> Elements;
};

/// Appends the header of a RESP array of \p Size elements.
void appendArray(std::string &Out, std::size_t Size);
/// Appends one RESP bulk string.
void appendBulk(std::string &Out, std::string_view Bytes);
/// Appends one command as a RESP array of bulk strings.
void appendCommand(std::string &Out,
                   std::initializer_list<std::string_view> Args);

class Connection {
public:
  Connection() = default;
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  ~Connection();

  /// Connects with TCP_NODELAY; replies must come within \p TimeoutMs.
  /// Throws std::runtime_error saying which server and why.
  void open(const Address &To, int TimeoutMs);
  void write(std::string_view Bytes);
  void read(Reply &Out);
  /// Sends one command and reads its reply; throws on an error reply.
  Reply call(std::initializer_list<std::string_view> Args);
  const Address &address() const { return Peer; }
  /// Makes blocked reads and writes fail at once (from another thread).
  void shutdown();

private:
  [[noreturn]] void fail(const std::string &What) const;
  void fill();
  std::string_view readLine();
  void readBulk(std::size_t Size, std::string &Out);
  long long readNumber(std::string_view Text) const;

  int Fd = -1;
  int TimeoutMs = 0;
  Address Peer;
  std::vector<char> Buffer = std::vector<char>(64 * 1024);
  std::size_t Begin = 0, End = 0;
};

} // namespace kvload
