// The RESP2 client of the load generator: blocking sockets with a receive
// timeout, a buffered reader for every reply type, and command encoding.
#include "Resp.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace kvload {

Address parseAddress(std::string_view Text) {
  auto Colon = Text.rfind(':');
  Address A;
  if (Colon == std::string_view::npos || Colon == 0)
    throw std::runtime_error("bad address '" + std::string(Text) +
                             "' (want host:port)");
  A.Host = std::string(Text.substr(0, Colon));
  auto Port = Text.substr(Colon + 1);
  auto [End, Err] =
      std::from_chars(Port.data(), Port.data() + Port.size(), A.Port);
  if (Err != std::errc() || End != Port.data() + Port.size() || A.Port <= 0 ||
      A.Port > 65535)
    throw std::runtime_error("bad port in '" + std::string(Text) + "'");
  return A;
}

static void appendHeader(std::string &Out, char Type, std::size_t Size) {
  char Digits[24];
  auto End = std::to_chars(Digits, Digits + sizeof Digits, Size).ptr;
  Out += Type;
  Out.append(Digits, End);
  Out += "\r\n";
}

void appendArray(std::string &Out, std::size_t Size) {
  appendHeader(Out, '*', Size);
}

void appendBulk(std::string &Out, std::string_view Bytes) {
  appendHeader(Out, '$', Bytes.size());
  Out += Bytes;
  Out += "\r\n";
}

void appendCommand(std::string &Out,
                   std::initializer_list<std::string_view> Args) {
  appendArray(Out, Args.size());
  for (std::string_view Arg : Args)
    appendBulk(Out, Arg);
}

Connection::~Connection() {
  if (Fd >= 0)
    ::close(Fd);
}

void Connection::fail(const std::string &What) const {
  throw std::runtime_error(Peer.text() + ": " + What);
}

static int connectTo(const Address &To, int &Errno) {
  addrinfo Hints{}, *List = nullptr;
  Hints.ai_family = AF_INET;
  Hints.ai_socktype = SOCK_STREAM;
  std::string Port = std::to_string(To.Port);
  if (::getaddrinfo(To.Host.c_str(), Port.c_str(), &Hints, &List) != 0) {
    Errno = EHOSTUNREACH;
    return -1;
  }
  int Fd = ::socket(List->ai_family, List->ai_socktype, 0);
  if (Fd >= 0 && ::connect(Fd, List->ai_addr, List->ai_addrlen) != 0) {
    Errno = errno;
    ::close(Fd);
    Fd = -1;
  }
  ::freeaddrinfo(List);
  return Fd;
}

void Connection::open(const Address &To, int Timeout) {
  Peer = To;
  TimeoutMs = Timeout;
  int Errno = 0;
  Fd = connectTo(To, Errno);
  if (Fd < 0)
    fail(std::string("cannot connect: ") + std::strerror(Errno));
  int One = 1;
  ::setsockopt(Fd, IPPROTO_TCP, TCP_NODELAY, &One, sizeof One);
  timeval Tv{Timeout / 1000, (Timeout % 1000) * 1000};
  ::setsockopt(Fd, SOL_SOCKET, SO_RCVTIMEO, &Tv, sizeof Tv);
  ::setsockopt(Fd, SOL_SOCKET, SO_SNDTIMEO, &Tv, sizeof Tv);
}

void Connection::shutdown() {
  if (Fd >= 0)
    ::shutdown(Fd, SHUT_RDWR);
}

void Connection::write(std::string_view Bytes) {
  while (!Bytes.empty()) {
    ssize_t Put = ::send(Fd, Bytes.data(), Bytes.size(), MSG_NOSIGNAL);
    if (Put < 0 && errno == EINTR)
      continue;
    if (Put < 0)
      fail(std::string("cannot send: ") + std::strerror(errno));
    Bytes.remove_prefix(static_cast<std::size_t>(Put));
  }
}

void Connection::fill() {
  if (Begin > 0) {
    std::memmove(Buffer.data(), Buffer.data() + Begin, End - Begin);
    End -= Begin;
    Begin = 0;
  }
  if (End == Buffer.size())
    Buffer.resize(2 * Buffer.size());
  ssize_t Got;
  do
    Got = ::recv(Fd, Buffer.data() + End, Buffer.size() - End, 0);
  while (Got < 0 && errno == EINTR);
  if (Got == 0)
    fail("connection closed by the server");
  if (Got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    fail("no reply within " + std::to_string(TimeoutMs) + " ms");
  if (Got < 0)
    fail(std::string("cannot receive: ") + std::strerror(errno));
  End += static_cast<std::size_t>(Got);
}

std::string_view Connection::readLine() {
  std::size_t Scanned = Begin;
  for (;;) {
    const char *From = Buffer.data() + Scanned;
    const void *Nl = std::memchr(From, '\n', End - Scanned);
    if (Nl != nullptr) {
      std::size_t Stop = static_cast<const char *>(Nl) - Buffer.data();
      if (Stop == Begin || Buffer[Stop - 1] != '\r')
        fail("protocol error: a line without \\r\\n");
      std::string_view Line(Buffer.data() + Begin, Stop - 1 - Begin);
      Begin = Stop + 1;
      return Line;
    }
    Scanned = End - Begin; // offsets move when fill() compacts
    fill();
    Scanned += Begin;
  }
}

void Connection::readBulk(std::size_t Size, std::string &Out) {
  while (End - Begin < Size + 2)
    fill();
  Out.assign(Buffer.data() + Begin, Size);
  if (Buffer[Begin + Size] != '\r' || Buffer[Begin + Size + 1] != '\n')
    fail("protocol error: a bulk string without \\r\\n");
  Begin += Size + 2;
}

long long Connection::readNumber(std::string_view Text) const {
  long long Value = 0;
  auto [End, Err] =
      std::from_chars(Text.data(), Text.data() + Text.size(), Value);
  if (Err != std::errc() || End != Text.data() + Text.size())
    fail("protocol error: bad number '" + std::string(Text) + "'");
  return Value;
}

void Connection::read(Reply &Out) {
  std::string_view Line = readLine();
  if (Line.empty())
    fail("protocol error: an empty reply line");
  Out.Type = Line[0];
  Out.Nil = false;
  Out.Elements.clear();
  std::string_view Rest = Line.substr(1);
  switch (Out.Type) {
  case '+':
  case '-':
    Out.Text.assign(Rest);
    return;
  case ':':
    Out.Integer = readNumber(Rest);
    return;
  case '$':
  case '*':
    break;
  default:
    fail("protocol error: unknown reply type '" + std::string(1, Out.Type) +
         "'");
  }
  long long Size = readNumber(Rest);
  Out.Nil = Size < 0;
  if (Out.Nil)
    return;
  if (Out.Type == '$')
    return readBulk(static_cast<std::size_t>(Size), Out.Text);
  Out.Elements.resize(static_cast<std::size_t>(Size));
  for (Reply &Element : Out.Elements)
    read(Element);
}

Reply Connection::call(std::initializer_list<std::string_view> Args) {
  std::string Request;
  appendCommand(Request, Args);
  write(Request);
  Reply Out;
  read(Out);
  if (Out.Type == '-')
    fail("replied with an error to " + std::string(*Args.begin()) + ": " +
         Out.Text);
  return Out;
}

} // namespace kvload
