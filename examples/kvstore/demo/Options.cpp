// Parses the load generator's options (--name value or --name=value) and
// checks them, with a usage text.
#include "Options.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

namespace kvload {
namespace {

const char *const kUsage =
    R"(usage: nu-kvstore-load --servers H:P[,H:P...] [options]
Drives a RESP (Redis-compatible) server with GETs and SETs over C connections
spread over the servers; every interval prints ops/s, p50/p99 latency and each
server's RSS, proclets and migrations (from INFO).
  --servers H:P,...     servers; connections are spread over them
  --connections C       client connections, one thread each (default 8)
  --pipeline P          requests in flight per connection (default 1)
  --keys K              key space key:0 .. key:K-1 (default 100000)
  --value-size B        bytes per value (default 32)
  --set-ratio R         fraction of SETs, 0..1 (default 0.1)
  --populate            first SET every key (pipelined), printing progress
  --mset N              populate with MSETs of N keys instead of SETs
  --duration S          seconds of load after populating (default 10; 0: none)
  --interval-ms N       progress interval (default 1000)
  --squeeze-at S        at S seconds into the load send to --squeeze-server
  --squeeze-server H:P    CONFIG SET nu-mem-limit <--squeeze-to>
  --squeeze-to SIZE       bytes, NNmb, NNgb, or NN% of the server's RSS then
  --squeeze-param NAME  the CONFIG SET parameter (default nu-mem-limit)
  --csv FILE            one row per interval: t, ops/s, p50, p99, max (ms),
                        rss MiB, proclets and migrations per server, p99.9
  --timeout-ms N        a reply must come within N ms (default 10000)
  --cluster             speak Redis Cluster's protocol: each connection
                        reads CLUSTER SLOTS, sends a key to the node serving
                        its slot and follows MOVED redirects (counted)
)";

[[noreturn]] void usageError(const std::string &What) {
  std::fprintf(stderr, "nu-kvstore-load: %s\n%s", What.c_str(), kUsage);
  std::exit(2);
}

double number(const std::string &Name, const std::string &Text) {
  char *End = nullptr;
  double Value = std::strtod(Text.c_str(), &End);
  if (Text.empty() || *End != '\0')
    usageError(Name + " wants a number, not '" + Text + "'");
  return Value;
}

std::vector<Address> addressList(const std::string &Text) {
  std::vector<Address> List;
  std::size_t From = 0;
  while (From <= Text.size()) {
    std::size_t Comma = Text.find(',', From);
    if (Comma == std::string::npos)
      Comma = Text.size();
    List.push_back(parseAddress(Text.substr(From, Comma - From)));
    From = Comma + 1;
  }
  return List;
}

using Setter = std::function<void(Options &, const std::string &)>;

std::map<std::string, Setter> setters() {
  auto Int = [](int Options::*Field) {
    return [Field](Options &O, const std::string &V) {
      O.*Field = static_cast<int>(number("option", V));
    };
  };
  auto Real = [](double Options::*Field) {
    return [Field](Options &O, const std::string &V) {
      O.*Field = number("option", V);
    };
  };
  auto Text = [](std::string Options::*Field) {
    return [Field](Options &O, const std::string &V) { O.*Field = V; };
  };
  return {
      {"--servers",
       [](Options &O, const std::string &V) { O.Servers = addressList(V); }},
      {"--connections", Int(&Options::Connections)},
      {"--pipeline", Int(&Options::Pipeline)},
      {"--keys",
       [](Options &O, const std::string &V) {
         O.Keys = static_cast<long>(number("--keys", V));
       }},
      {"--value-size", Int(&Options::ValueSize)},
      {"--set-ratio", Real(&Options::SetRatio)},
      {"--mset", Int(&Options::MsetKeys)},
      {"--duration", Real(&Options::Duration)},
      {"--interval-ms", Int(&Options::IntervalMs)},
      {"--squeeze-at", Real(&Options::SqueezeAt)},
      {"--squeeze-server",
       [](Options &O, const std::string &V) {
         O.SqueezeServer = parseAddress(V);
       }},
      {"--squeeze-to", Text(&Options::SqueezeTo)},
      {"--squeeze-param", Text(&Options::SqueezeParam)},
      {"--csv", Text(&Options::Csv)},
      {"--timeout-ms", Int(&Options::TimeoutMs)},
  };
}

void check(const Options &O) {
  if (O.Servers.empty())
    usageError("--servers is required");
  if (O.Connections < 1 || O.Pipeline < 1 || O.Keys < 1 || O.ValueSize < 0 ||
      O.IntervalMs < 10 || O.Duration < 0 || O.MsetKeys < 0)
    usageError("--connections, --pipeline, --keys must be >= 1, "
               "--interval-ms >= 10, the others >= 0");
  if (O.SetRatio < 0 || O.SetRatio > 1)
    usageError("--set-ratio must be within 0..1");
  if (O.Cluster && O.MsetKeys > 0)
    usageError("--mset and --cluster do not go together (CROSSSLOT)");
  bool Squeeze = O.SqueezeAt >= 0;
  if (Squeeze != (O.SqueezeServer.has_value() && !O.SqueezeTo.empty()))
    usageError("--squeeze-at, --squeeze-server and --squeeze-to go together");
}

} // namespace

Options parseOptions(int Argc, char **Argv) {
  Options O;
  auto Setters = setters();
  for (int I = 1; I < Argc; ++I) {
    std::string Arg = Argv[I], Value;
    if (Arg == "--help" || Arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (Arg == "--populate" || Arg == "--cluster") {
      (Arg == "--populate" ? O.Populate : O.Cluster) = true;
      continue;
    }
    if (auto Eq = Arg.find('='); Eq != std::string::npos) {
      Value = Arg.substr(Eq + 1);
      Arg.resize(Eq);
    } else if (I + 1 < Argc) {
      Value = Argv[++I];
    } else {
      usageError(Arg + " wants a value");
    }
    auto Found = Setters.find(Arg);
    if (Found == Setters.end())
      usageError("unknown option " + Arg);
    try {
      Found->second(O, Value);
    } catch (const std::exception &E) {
      usageError(Arg + ": " + E.what());
    }
  }
  check(O);
  return O;
}

} // namespace kvload
