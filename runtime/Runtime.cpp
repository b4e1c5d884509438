// The runtime's entry points: nu::main (embedded controller, main node or
// server node), the calling thread's node, and the node_api functions.
#include "nu/runtime.hpp"
#include "ControllerLink.hpp"
#include "Errors.hpp"
#include "Flags.hpp"
#include "Node.hpp"
#include "Service.hpp"
#include "SystemInfo.hpp"
#include "migrate/Monitor.hpp"
#include "nu/errors.hpp"
#include "nu/log/log.hpp"
#include "nu/net/memory_transport.hpp"
#include "nu/net/secret.hpp"
#include "nu/net/tls.hpp"
#include "nu/proclet.hpp"
#include "replicate/Record.hpp"

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

namespace nu::detail {
namespace {

/// The node nu::main started (main or server): the node of threads that
/// have none (a std::thread started by user code). The one process-wide
/// pointer.
std::atomic<Node *> main_node{nullptr};

/// The main proclet: the pinned proclet nu::main's function runs in.
struct MainProclet {};

const ProcletType &main_proclet_type() {
  static const ProcletType *type = [] {
    ProcletType t;
    t.name = "nu::MainProclet";
    t.id = fnv1a64(t.name);
    t.cpp_type = typeid(MainProclet);
    t.destroy = [](void *p) { delete static_cast<MainProclet *>(p); };
    t.estimate_size = [](const void *) { return sizeof(MainProclet); };
    return &TypeRegistry::instance().add(std::move(t));
  }();
  return *type;
}

int run_in_main_proclet(Node &node, const std::function<int(int, char **)> &fn,
                        int argc, char **argv) {
  NodeScope node_scope(&node);
  Proclet<MainProclet> main(
      node.host(main_proclet_type(), new MainProclet, {.pinned = true}));
  try {
    return fn(argc, argv);
  } catch (const std::exception &e) {
    log::get("node").error("the main function threw: {}", e.what());
  } catch (...) {
    log::get("node").error("the main function threw a non-standard exception");
  }
  return 1;
}

} // namespace

Node *current_node() {
  if (tls_node)
    return tls_node;
  if (Node *node = main_node.load(std::memory_order_acquire))
    return node;
  throw Error("nu: the runtime is not running (call nu::main first)");
}

NodeId node_id(Node *node) { return node->id(); }

void submit(Node *node, std::function<void()> task) {
  node->submit(in_replication_scope(std::move(task)));
}

void send_request(Node *node, ProcletId id, NodeId location, RequestKind kind,
                  std::uint64_t target, std::uint64_t aux, Bytes frame,
                  std::shared_ptr<CallState> state) {
  node->send_request(id, location, kind, target, aux, std::move(frame),
                     std::move(state));
}

NodeId place(Node *node, const ProcletOptions &options) {
  return node->place(options);
}

unsigned acquire_heap(Node *node) { return node->heaps().acquire(); }
int heap_flags(unsigned heap) { return HeapPool::flags(heap); }
void release_heap(Node *node, unsigned heap) { node->heaps().release(heap); }

Proxy *host_proclet(Node *node, const ProcletType &type, void *object,
                    const ProcletOptions &options, unsigned heap) {
  return node->host(type, object, options, heap);
}

Proxy *create_remote(Node *node, NodeId where, const ProcletType &type,
                     std::uint64_t ctor_id, const ProcletOptions &options,
                     Bytes frame) {
  return node->create_remote(where, type, ctor_id, options, std::move(frame));
}

Proxy *self_proxy(Node *node, const void *object, const std::type_info &cpp) {
  return node->self(object, cpp);
}

Proxy *adopt_proxy(Node *node, ProcletId id, std::uint64_t type_id,
                   NodeId location, std::uint64_t weight) {
  if (!node)
    throw DecodeError("a proclet handle read outside of a node");
  return node->adopt(id, type_id, location, weight);
}

std::uint64_t split_weight(Proxy *proxy) {
  if (!proxy->node)
    throw Error("nu: a proclet handle written after its node stopped");
  return proxy->node->split(proxy);
}

void release_proxy(Proxy *proxy) {
  if (!proxy->node) {
    delete proxy;
    return;
  }
  proxy->node->release(proxy);
}

std::shared_ptr<Slot> find_slot(Node *node, ProcletId id) {
  return node->find_slot(id);
}

namespace {

Node::Options node_options(const RuntimeFlags &flags) {
  Node::Options options;
  options.workers = flags.workers;
  options.call_timeout = flags.call_timeout;
  options.migrate_drain = flags.migrate_drain;
  options.migrate_delay = flags.migrate_delay;
  options.migrate_throttle = flags.migrate_throttle_mbps * 1'000'000;
  options.proclet_heaps = flags.proclet_heaps;
  options.transport = flags.transport;
  options.transport_options.memory_hub = std::make_shared<net::MemoryHub>();
  options.listen_address = flags.listen;
  options.controller = flags.join.empty() ? flags.controller : flags.join;
  options.main = flags.join.empty();
  return options;
}

MonitorOptions monitor_options(const RuntimeFlags &flags) {
  MonitorOptions options;
  options.period = flags.monitor;
  options.mem_limit = flags.mem_limit;
  options.min_free = flags.min_free;
  options.cpu_high = flags.cpu_high;
  options.chaos = flags.chaos_migrate;
  return options;
}

/// The run's cluster secret: the flag's file, or NU_SECRET_FILE's; a run
/// with the controller inside makes its own. Without one, protected mode
/// refuses to listen beyond loopback, and on loopback warns once.
Expected<std::shared_ptr<const net::Secret>>
cluster_secret(const RuntimeFlags &flags) {
  auto secret = net::find_secret(flags.secret_file);
  if (!secret || *secret)
    return secret;
  if (flags.join.empty() && flags.controller.empty())
    return net::random_secret();
  auto allowed = net::check_protected_mode(
      flags.listen, false, flags.insecure,
      "give --nu-secret-file PATH or set NU_SECRET_FILE; or --nu-insecure");
  if (!allowed)
    return allowed.failure();
  if (!flags.insecure)
    log::get("node").warn("no cluster secret: any local process may join or "
                          "command this logical process (give "
                          "--nu-secret-file PATH)");
  return secret;
}

/// The controller inside the process when no --nu-controller is given.
std::unique_ptr<controller::Service> embedded_controller(Node::Options &opts) {
  controller::ServiceOptions service;
  service.transport = opts.transport;
  service.transport_options = opts.transport_options;
  service.transport_options.role = net::PeerRole::controller;
  auto embedded = std::make_unique<controller::Service>(service);
  auto address = embedded->listen("");
  if (!address)
    raise("cannot start the embedded controller", address.failure());
  opts.controller = *address;
  return embedded;
}

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kTick{20}; // how often serve() looks

/// Waits a tick for one of \p signals: true if one came.
bool signalled(const sigset_t &signals) {
  const timespec tick{0, kTick.count() * 1'000'000};
  return sigtimedwait(&signals, nullptr, &tick) >= 0;
}

/// True once the controller said the logical process has ended.
bool ended(Node &node) {
  return node.link()->wait_exit(std::chrono::milliseconds(0));
}

/// A stopped server node moves its proclets away for at most \p limit; a
/// second signal, or the logical process ending, cuts that short (false).
bool drain_before_leaving(Node &node, const sigset_t &signals,
                          std::chrono::milliseconds limit) {
  std::cerr << "nu: node " << node.id()
            << " stopping: moving its proclets to other nodes (a second "
               "signal cuts this short)"
            << std::endl;
  Node::DrainResult r;
  std::atomic<bool> done{false};
  std::jthread drainer([&](std::stop_token stop) {
    r = node.drain_before_leaving(stop);
    done = true;
  });
  const auto deadline = Clock::now() + limit;
  while (!done && Clock::now() < deadline && !ended(node) &&
         !signalled(signals))
    ;
  const bool finished = done;
  drainer.request_stop();
  drainer.join();
  std::cerr << "nu: node " << node.id() << " moved " << r.moved
            << " proclets before leaving";
  if (r.failed > 0)
    std::cerr << "; " << r.failed << " could not move and are lost ("
              << r.first_error << ")";
  std::cerr << std::endl;
  return finished;
}

/// A server node: serves until the logical process ends or a signal; on a
/// signal it moves its proclets away first (--nu-stop-drain-ms).
int serve(Node &node, Monitor &monitor, const sigset_t &signals,
          std::chrono::milliseconds stop_drain) {
  std::cerr << "nu: node " << node.id() << " serving at " << node.address()
            << std::endl;
  bool signal = false;
  while (!ended(node) && !(signal = signalled(signals)))
    ;
  monitor.stop();
  bool drain = signal && stop_drain.count() > 0;
  node.leave(drain && drain_before_leaving(node, signals, stop_drain));
  return 0;
}

int run_main_node(Node &node, Monitor &monitor,
                  const std::function<int(int, char **)> &fn, int argc,
                  char **argv) {
  int status = run_in_main_proclet(node, fn, argc, argv);
  monitor.stop();
  node.link()->end_process();
  node.link()->leave();
  return status;
}

/// Makes \p node the process's node (main_node) for its lifetime.
struct ProcessNode {
  explicit ProcessNode(Node &node) {
    main_node.store(&node, std::memory_order_release);
  }
  ~ProcessNode() { main_node.store(nullptr, std::memory_order_release); }
};

} // namespace

int run_main(int argc, char **argv,
             const std::function<int(int, char **)> &fn) {
  auto flags = parse_flags(argc, argv);
  if (!flags) {
    std::cerr << "nu: " << flags.failure().message << "\n";
    return 2;
  }
  log::set_level(flags->log_level);
  if (flags->help) {
    std::cout << "nu runtime flags:\n" << flags_help();
    return 0;
  }
  bool server = !flags->join.empty();
  sigset_t signals;
  sigemptyset(&signals);
  if (server) { // handled by serve(); blocked before any thread starts
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  }
  // Registered on every node before it joins: the schema digest a node
  // joins and rejoins with is the same whatever its role.
  (void)main_proclet_type();
  Node::Options options = node_options(*flags);
  options.args.assign(argv, argv + argc);
  auto secret = cluster_secret(*flags);
  if (!secret) {
    std::cerr << "nu: " << secret.failure().message << "\n";
    return 2;
  }
  options.transport_options.secret = *secret;
  auto tls = net::load_tls(flags->tls);
  if (!tls) {
    std::cerr << "nu: " << tls.failure().message << "\n";
    return 2;
  }
  options.transport_options.tls = *tls;
  try {
    std::unique_ptr<controller::Service> embedded;
    if (options.controller.empty())
      embedded = embedded_controller(options);
    Node node(options);
    Monitor monitor(node, monitor_options(*flags));
    ProcessNode process_node(node);
    return server ? serve(node, monitor, signals, flags->stop_drain)
                  : run_main_node(node, monitor, fn, argc, argv);
  } catch (const std::exception &e) {
    log::get("node").error("{}", e.what());
    return 1;
  }
}

} // namespace nu::detail

namespace nu {

std::vector<NodeId> nodes() { return detail::current_node()->nodes(); }

NodeId this_node() { return detail::current_node()->id(); }

const std::vector<std::string> &process_args() {
  return detail::current_node()->args();
}

NodeStats node_stats() {
  detail::Node *node = detail::current_node();
  return {node->id(),
          node->proclet_count(),
          node->migrations(),
          detail::process_rss(),
          node->mem_limit(),
          node->migrated_bytes(),
          node->heaps().in_use(),
          node->heap_bytes()};
}

void set_memory_limit(std::uint64_t bytes) {
  detail::current_node()->set_mem_limit(bytes);
}

} // namespace nu
