// Cluster: starts the controller, server nodes and the main node of one
// logical process, each waited for by the line it prints once ready.
#include "Cluster.hpp"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace nu::e2e {

namespace {

using std::chrono::milliseconds;

const std::regex
    kListening(R"(nu-controller: listening on 127\.0\.0\.1:(\d+))");
const std::regex kServing(R"(nu: node (\d+) serving at (\S+))");

[[noreturn]] void fail(const Process &p, const std::string &what) {
  throw std::runtime_error(p.label() + " (pid " + std::to_string(p.pid()) +
                           ") " + what);
}

// A process's exit is expected: reaps it, or fails if it does not end.
void reap(Process &p, milliseconds timeout) {
  if (!p.wait(timeout))
    fail(p, "did not end after a signal");
}

} // namespace

Cluster::Cluster(ClusterPaths paths) : paths_(std::move(paths)) {
  if (const char *name = std::getenv("NU_E2E_TRANSPORT"))
    transport = name;
}

// Adds \p flag with the transport to \p args, when one is chosen.
void Cluster::add_transport(std::vector<std::string> &args,
                            const std::string &flag) const {
  if (!transport.empty())
    args.insert(args.end(), {flag, transport});
}

std::string Cluster::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::unique_ptr<Process> Cluster::launch_controller(int port) {
  std::string label = "controller";
  std::vector<std::string> args{"--listen",
                                "127.0.0.1:" + std::to_string(port)};
  if (controllers_started_++ > 0) { // a restart: nodes rejoin first
    label += std::to_string(controllers_started_);
    args.push_back("--recover");
  }
  args.insert(args.end(), controller_flags.begin(), controller_flags.end());
  add_transport(args, "--transport");
  return std::make_unique<Process>(paths_.controller, std::move(args), label);
}

void Cluster::start_controller() {
  controller_ = launch_controller(0);
  auto line =
      controller_->wait_for_line(Stream::out, kListening, start_timeout);
  if (!line)
    fail(*controller_, "did not print 'listening on 127.0.0.1:<port>'");
  port_ = std::stoi((*line)[1]);
}

void Cluster::kill_controller() {
  controller_->kill(SIGKILL);
  reap(*controller_, start_timeout);
}

void Cluster::restart_controller() {
  auto deadline = Process::Clock::now() + start_timeout;
  for (;;) {
    controller_ = launch_controller(port_);
    auto left = std::chrono::duration_cast<milliseconds>(deadline -
                                                         Process::Clock::now());
    if (controller_->wait_for_line(Stream::out, kListening, left))
      return;
    bool ended = controller_->wait(milliseconds(1000)).has_value();
    if (!ended || Process::Clock::now() >= deadline)
      fail(*controller_, "did not listen again on " + address());
    std::this_thread::sleep_for(milliseconds(100)); // port still taken
  }
}

ClusterNode &Cluster::add_node(std::vector<std::string> extra) {
  std::vector<std::string> args{"--nu-join", address()};
  add_transport(args, "--nu-transport");
  args.insert(args.end(), extra.begin(), extra.end());
  ClusterNode node;
  node.process = std::make_unique<Process>(
      paths_.app, args, "node" + std::to_string(nodes_.size() + 1));
  auto line = node.process->wait_for_line(Stream::err, kServing, start_timeout);
  if (!line)
    fail(*node.process, "did not print 'nu: node <id> serving at <address>'");
  node.id = static_cast<std::uint32_t>(std::stoul((*line)[1]));
  node.address = (*line)[2];
  nodes_.push_back(std::move(node));
  return nodes_.back();
}

void Cluster::add_nodes(int count) {
  for (int i = 0; i < count; ++i)
    add_node();
}

ClusterNode &Cluster::node(std::uint32_t id) {
  for (ClusterNode &n : nodes_)
    if (n.id == id)
      return n;
  throw std::runtime_error("no server node printed id " + std::to_string(id));
}

void Cluster::kill_node(std::uint32_t id) {
  Process &p = *node(id).process;
  p.kill(SIGKILL);
  reap(p, start_timeout);
}

Process &Cluster::start_main(std::vector<std::string> app_args,
                             std::vector<std::string> nu_flags) {
  std::vector<std::string> args{"--nu-controller", address()};
  add_transport(args, "--nu-transport");
  args.insert(args.end(), nu_flags.begin(), nu_flags.end());
  args.insert(args.end(), app_args.begin(), app_args.end());
  main_ = std::make_unique<Process>(paths_.app, args, "main");
  return *main_;
}

RunResult Cluster::nuctl(std::vector<std::string> args) {
  std::vector<std::string> front{"--controller", address()};
  add_transport(front, "--transport");
  args.insert(args.begin(), front.begin(), front.end());
  return run(paths_.nuctl, args, "nuctl", start_timeout);
}

RunResult Cluster::run(const std::string &path, std::vector<std::string> args,
                       const std::string &label, milliseconds timeout) {
  Process p(path, std::move(args), label);
  auto status = p.wait(timeout);
  if (!status)
    fail(p, "did not end within " + std::to_string(timeout.count()) + " ms");
  return RunResult{*status, p.text(Stream::out), p.text(Stream::err)};
}

} // namespace nu::e2e
