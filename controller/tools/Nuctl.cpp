// nuctl: asks a running logical process about itself and moves proclets:
// `status` through the controller; `migrate`, `drain` and `proclets`
// through the nodes.
#include "Args.hpp"
#include "Client.hpp"
#include "MoveRequest.hpp"
#include "nu/net/secret.hpp"

#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

namespace {

using namespace nu::controller;
using std::chrono::milliseconds;

constexpr const char *kUsage =
    "usage: nuctl --controller HOST:PORT [--timeout-ms N] [--transport NAME] "
    "COMMAND\n"
    "commands:\n"
    "  status                the nodes (address, state, free memory, CPU "
    "load,\n"
    "                        proclets) and totals\n"
    "  migrate PROCLET NODE  move proclet PROCLET (an id) to node NODE\n"
    "  drain NODE            move every movable proclet of node NODE to "
    "other nodes\n"
    "  proclets [--node N]   the proclets of every live node (or of node "
    "N):\n"
    "                        id, node, type, state size, role\n"
    "options:\n"
    "  --timeout-ms N        how long to wait for the controller and for a "
    "node's\n"
    "                        proclets (default 3000), and\n"
    "                        for a node's answer to migrate or drain (default "
    "60000)\n"
    "  --transport NAME      how to reach the controller and nodes (default "
    "tcp)\n"
    "  --secret-file PATH    file holding the cluster secret (default: the "
    "file\n"
    "                        NU_SECRET_FILE names)\n"
    "  --tls-cert PEM, --tls-key PEM, --tls-ca PEM\n"
    "                        TLS: this tool's certificate, its key and the\n"
    "                        cluster's CA\n";

int usage_error(const std::string &message) {
  std::cerr << "nuctl: " << message << "\n" << kUsage;
  return 2;
}

int failure(const std::string &message) {
  std::cerr << "nuctl: " << message << "\n";
  return 1;
}

template <class T> std::optional<T> parse_id(const std::string &text) {
  T v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0)
    return std::nullopt;
  return v;
}

std::string mib(std::uint64_t bytes) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return out;
}

void print_status(const StatusReply &status) {
  std::printf("%-5s %-7s %-22s %14s %6s %9s  %s\n", "node", "state", "address",
              "free memory", "cpu", "proclets", "published");
  std::uint64_t free = 0, proclets = 0;
  std::size_t live = 0;
  for (const NodeInfo &n : status.nodes) {
    std::string state(n.leaving && n.state == NodeState::live
                          ? "leaving"
                          : to_string(n.state));
    std::printf("%-5u %-7s %-22s %14s %5.0f%% %9llu  %s\n", n.id, state.c_str(),
                n.address.c_str(), mib(n.load.free_memory).c_str(),
                n.load.cpu_load * 100,
                static_cast<unsigned long long>(n.load.proclet_count),
                n.published.empty() ? "-" : n.published.c_str());
    if (n.state != NodeState::live)
      continue;
    ++live;
    free += n.load.free_memory;
    proclets += n.load.proclet_count;
  }
  std::printf("total: %zu live of %zu nodes, %s free, %llu proclets "
              "(%llu located)\n",
              live, status.nodes.size(), mib(free).c_str(),
              static_cast<unsigned long long>(proclets),
              static_cast<unsigned long long>(status.proclets));
}

// A connection to the controller and the transport nodes are reached by.
struct Session {
  std::unique_ptr<nu::net::Transport> transport;
  std::shared_ptr<Client> client;
  milliseconds move_timeout{60000};
  milliseconds query_timeout{3000}; // a node's answer to `proclets`
  ~Session() {
    if (transport)
      transport->shutdown();
  }
};

// The live node \p id of \p status, or a Failure saying why there is none.
Expected<NodeInfo> live_in(const StatusReply &status, NodeId id) {
  for (const NodeInfo &n : status.nodes) {
    if (n.id != id)
      continue;
    if (n.state == NodeState::live)
      return n;
    return Failure{Errc::node_dead, "node " + std::to_string(id) + " is " +
                                        std::string(to_string(n.state))};
  }
  return Failure{Errc::unknown_node, "there is no node " + std::to_string(id)};
}

// The live node \p id, or a Failure saying why there is none.
Expected<NodeInfo> live_node(Session &s, NodeId id) {
  auto status = s.client->call<StatusReply>(Op::Status);
  if (!status)
    return status.failure();
  return live_in(*status, id);
}

int migrate(Session &s, ProcletId id, NodeId to) {
  if (auto dest = live_node(s, to); !dest)
    return failure("cannot migrate proclet " + std::to_string(id) + ": " +
                   dest.failure().message);
  auto where = s.client->call<Location>(Op::Resolve, id);
  if (!where)
    return failure(where.failure().code == Errc::unknown_proclet
                       ? "there is no proclet " + std::to_string(id)
                       : where.failure().message);
  auto host = live_node(s, where->node);
  if (!host)
    return failure("cannot migrate proclet " + std::to_string(id) +
                   ": it was on node " + std::to_string(where->node) + ", " +
                   host.failure().message);
  auto stats = request_move(*s.transport, {host->id, host->address, {}}, id, to,
                            s.move_timeout);
  if (!stats)
    return failure(stats.failure().code == Errc::unreachable
                       ? "cannot migrate proclet " + std::to_string(id) + ": " +
                             stats.failure().message
                       : stats.failure().message);
  std::printf("migrated proclet %llu from node %u to node %u: %llu bytes, "
              "paused %lld us\n",
              static_cast<unsigned long long>(stats->proclet), stats->from,
              stats->to, static_cast<unsigned long long>(stats->bytes),
              static_cast<long long>(stats->pause_us));
  return 0;
}

int drain(Session &s, NodeId node) {
  auto info = live_node(s, node);
  if (!info)
    return failure("cannot drain: " + info.failure().message);
  auto moved =
      request_drain(*s.transport, {node, info->address, {}}, s.move_timeout);
  if (!moved)
    return failure(moved.failure().code == Errc::unreachable
                       ? "cannot drain: " + moved.failure().message
                       : moved.failure().message);
  std::printf("drained node %u: %llu proclets moved\n", node,
              static_cast<unsigned long long>(*moved));
  return 0;
}

void print_listing(NodeId node,
                   const std::vector<nu::wire::ProcletListing> &listing) {
  for (const auto &[id, type, bytes, heap, role] : listing) {
    std::string charged = heap == 0 ? "-" : std::to_string(heap);
    std::printf("%-20llu %-5u %-40s %12llu %12s %s\n",
                static_cast<unsigned long long>(id), node, type.c_str(),
                static_cast<unsigned long long>(bytes), charged.c_str(),
                role.c_str());
  }
}

// Every live node's proclets (or node \p only's); a node that does not
// answer is reported and makes the exit status 1.
int proclets(Session &s, std::optional<NodeId> only) {
  auto status = s.client->call<StatusReply>(Op::Status);
  if (!status)
    return failure(status.failure().message);
  if (only) {
    if (auto node = live_in(*status, *only); !node)
      return failure("cannot list proclets: " + node.failure().message);
  }
  std::printf("%-20s %-5s %-40s %12s %12s %s\n", "proclet", "node", "type",
              "state bytes", "heap bytes", "role");
  int code = 0;
  for (const NodeInfo &n : status->nodes) {
    if (n.state != NodeState::live || (only && n.id != *only))
      continue;
    auto listing =
        request_list(*s.transport, {n.id, n.address, {}}, s.query_timeout);
    if (!listing) {
      std::cerr << "nuctl: " << listing.failure().message << "\n";
      code = 1;
      continue;
    }
    print_listing(n.id, *listing);
  }
  return code;
}

int status(Session &s) {
  auto status = s.client->call<StatusReply>(Op::Status);
  if (!status)
    return failure(status.failure().message);
  print_status(*status);
  return 0;
}

// Checks the command's arguments, then runs it.
int run(const Args &args, Session &s) {
  const auto &p = args.positional;
  if (p[0] == "status")
    return status(s);
  if (p[0] == "proclets")
    return proclets(s, args.has("--node") ? parse_id<NodeId>(args.get("--node"))
                                          : std::nullopt);
  if (p[0] == "migrate")
    return migrate(s, *parse_id<ProcletId>(p[1]), *parse_id<NodeId>(p[2]));
  return drain(s, *parse_id<NodeId>(p[1]));
}

// The usage error in the command's arguments, if any.
std::optional<std::string> check_command(const Args &args) {
  const auto &p = args.positional;
  if (p.empty())
    return "a command is required";
  const bool bare = p[0] == "status" || p[0] == "proclets";
  const std::size_t arity = bare ? 0 : p[0] == "migrate" ? 2 : 1;
  if (!bare && p[0] != "migrate" && p[0] != "drain")
    return "unknown command '" + p[0] + "'";
  if (args.has("--node") && p[0] != "proclets")
    return "--node belongs to proclets";
  if (args.has("--node") && !parse_id<NodeId>(args.get("--node")))
    return "'" + args.get("--node") + "' is not a node id";
  if (p.size() != arity + 1)
    return p[0] + " takes " + std::to_string(arity) + " argument" +
           (arity == 1 ? "" : "s");
  if (p[0] == "migrate" && !parse_id<ProcletId>(p[1]))
    return "'" + p[1] + "' is not a proclet id";
  if (!bare && !parse_id<NodeId>(p.back()))
    return "'" + p.back() + "' is not a node id";
  return std::nullopt;
}

} // namespace

int main(int argc, char **argv) {
  Args args = parse_args(argc, argv,
                         {"--controller", "--timeout-ms", "--transport",
                          "--secret-file", "--tls-cert", "--tls-key",
                          "--tls-ca", "--node"},
                         {"--help"});
  if (args.error)
    return usage_error(*args.error);
  if (args.has("--help")) {
    std::cout << kUsage;
    return 0;
  }
  if (!args.has("--controller"))
    return usage_error("--controller HOST:PORT is required");
  if (auto error = check_command(args))
    return usage_error(*error);
  auto timeout = parse_positive(args.get("--timeout-ms", "3000"));
  if (!timeout)
    return usage_error("--timeout-ms takes a positive number");

  Session s;
  s.query_timeout = milliseconds(*timeout);
  if (args.has("--timeout-ms"))
    s.move_timeout = milliseconds(*timeout);
  auto secret = nu::net::find_secret(args.get("--secret-file", ""));
  if (!secret)
    return usage_error(secret.failure().message);
  auto tls = nu::net::load_tls(tls_files(args));
  if (!tls)
    return usage_error(tls.failure().message);
  nu::net::TransportOptions transport_options;
  transport_options.secret = *secret;
  transport_options.tls = *tls;
  transport_options.role = nu::net::PeerRole::tool;
  auto transport = nu::net::make_transport(args.get("--transport", "tcp"),
                                           transport_options);
  if (!transport) {
    std::cerr << "nuctl: " << transport.failure().message << "\n";
    return 2;
  }
  s.transport = std::move(*transport);
  auto client = Client::connect(*s.transport, args.get("--controller"),
                                milliseconds(*timeout));
  if (!client)
    return failure(client.failure().message);
  s.client = *client;
  return run(args, s);
}
