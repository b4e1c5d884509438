// nuctl: asks a running controller about its logical process.
// `nuctl --controller HOST:PORT status` lists nodes and totals.
#include "Args.hpp"
#include "Client.hpp"

#include <cstdio>
#include <iostream>

namespace {

using namespace nu::controller;

constexpr const char *kUsage =
    "usage: nuctl --controller HOST:PORT [--timeout-ms N] [--transport NAME] "
    "COMMAND\n"
    "commands:\n"
    "  status   the nodes (address, free memory, CPU load, proclets), totals\n";

int usage_error(const std::string &message) {
  std::cerr << "nuctl: " << message << "\n" << kUsage;
  return 2;
}

std::string mib(std::uint64_t bytes) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return out;
}

void print_status(const StatusReply &status) {
  std::printf("%-5s %-6s %-22s %14s %6s %9s\n", "node", "state", "address",
              "free memory", "cpu", "proclets");
  std::uint64_t free = 0, proclets = 0;
  std::size_t live = 0;
  for (const NodeInfo &n : status.nodes) {
    std::printf("%-5u %-6s %-22s %14s %5.0f%% %9llu\n", n.id,
                std::string(to_string(n.state)).c_str(), n.address.c_str(),
                mib(n.load.free_memory).c_str(), n.load.cpu_load * 100,
                static_cast<unsigned long long>(n.load.proclet_count));
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

} // namespace

int main(int argc, char **argv) {
  Args args = parse_args(
      argc, argv, {"--controller", "--timeout-ms", "--transport"}, {"--help"});
  if (args.error)
    return usage_error(*args.error);
  if (args.has("--help")) {
    std::cout << kUsage;
    return 0;
  }
  if (!args.has("--controller"))
    return usage_error("--controller HOST:PORT is required");
  if (args.positional.size() != 1 || args.positional[0] != "status")
    return usage_error(args.positional.empty()
                           ? "a command is required"
                           : "unknown command '" + args.positional[0] + "'");
  auto timeout = parse_positive(args.get("--timeout-ms", "3000"));
  if (!timeout)
    return usage_error("--timeout-ms takes a positive number");

  auto transport = nu::net::make_transport(args.get("--transport", "tcp"), {});
  if (!transport) {
    std::cerr << "nuctl: " << transport.failure().message << "\n";
    return 2;
  }
  auto client = Client::connect(**transport, args.get("--controller"),
                                std::chrono::milliseconds(*timeout));
  Result<StatusReply> status =
      client ? (*client)->call<StatusReply>(Op::Status) : client.error();
  (*transport)->shutdown();
  if (!status) {
    std::cerr << "nuctl: " << status.error().message << "\n";
    return 1;
  }
  print_status(*status);
  return 0;
}
