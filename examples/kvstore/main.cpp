// nu-kvstore: a Redis-compatible key-value server whose keys live in a
// nu::ShardedMap; every node of the logical process serves clients.
#include "Frontend.hpp"
#include "Options.hpp"

#include <nu/nu.hpp>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

static_assert(kv::kMaxReplicas == nu::kMaxReplicas);

namespace {

using Frontends = std::map<nu::NodeId, nu::Proclet<kv::Frontend>>;

/// Starts a Frontend on every node that has none yet (a node that left
/// meanwhile is skipped); forgets the nodes that left. Each node bound its
/// port before it joined (kv::reserve_port).
void cover_nodes(const kv::Store &store, Frontends &frontends) {
  std::vector<nu::NodeId> nodes = nu::nodes();
  std::erase_if(frontends, [&](const auto &f) {
    return std::find(nodes.begin(), nodes.end(), f.first) == nodes.end();
  });
  for (nu::NodeId n : nodes) {
    if (frontends.contains(n))
      continue;
    try {
      frontends.emplace(
          n, nu::make_proclet<kv::Frontend>(
                 nu::ProcletOptions{.pinned = true, .node = n}, store));
    } catch (const nu::ProcletUnavailable &e) {
      std::cerr << "nu-kvstore: node " << n << " left: " << e.what() << "\n";
    }
  }
}

/// The main node's function: the map, the frontends, then wait for a
/// signal (checking for new nodes meanwhile).
int run(const kv::Options &options, const sigset_t &signals) {
  Frontends frontends;
  try {
    kv::Store store =
        nu::make_sharded_map<std::string, kv::Entry, kv::SlotPartition>(
            options.shards, options.replicas);
    while (true) {
      cover_nodes(store, frontends);
      timespec tick{0, 200'000'000};
      if (sigtimedwait(&signals, nullptr, &tick) >= 0)
        break;
    }
  } catch (const std::exception &e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  frontends.clear(); // stop serving before the logical process ends
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string error;
  auto options = kv::parse_options({argv, argv + argc}, error);
  if (!options) {
    std::cerr << "nu-kvstore: " << error << "\n";
    return 2;
  }
  if (options->help) {
    std::cout << kv::usage(argv[0]);
    return 0;
  }
  bool server_node = std::any_of(argv + 1, argv + argc, [](std::string_view a) {
    return a == "--nu-join" || a.starts_with("--nu-join=");
  });
  if (!kv::reserve_port(*options, server_node, error)) {
    std::cerr << "nu-kvstore: " << error << "\n";
    return 1;
  }
  // Blocked in every thread; the main node waits for them in run().
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return nu::main(argc, argv, [&] { return run(*options, signals); });
}
