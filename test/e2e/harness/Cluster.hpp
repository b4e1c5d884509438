// A logical process made of real processes for end-to-end tests: the
// controller, server nodes of one app binary, its main node, and nuctl.
#pragma once

#include "Process.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nu::e2e {

/// The executables a Cluster runs.
struct ClusterPaths {
  std::string controller; ///< nu-controller
  std::string nuctl;      ///< nuctl
  std::string app;        ///< the nu program every node runs
};

/// A server node: its process, and the id and address it printed.
struct ClusterNode {
  std::unique_ptr<Process> process;
  std::uint32_t id = 0;
  std::string address;
};

/// What a process run to completion left: how it ended and its output.
struct RunResult {
  ExitStatus status;
  std::string out;
  std::string err;
};

/// Starts and stops the processes of one logical process. Each start waits
/// for the line that says the process is ready and throws
/// std::runtime_error if it does not come within `start_timeout`. The
/// destructor SIGKILLs whatever still runs: main node, nodes, controller.
class Cluster {
public:
  /// How long a start waits for its process's ready line.
  std::chrono::milliseconds start_timeout{15000};
  /// Flags every controller start adds (e.g. a shorter heartbeat timeout).
  std::vector<std::string> controller_flags;

  /// The transport every process uses: NU_E2E_TRANSPORT when set (e.g.
  /// "ucx"; the CTest label of that name runs the suite with it), else the
  /// programs' default (tcp).
  std::string transport;

  explicit Cluster(ClusterPaths paths);

  /// Starts `nu-controller --listen 127.0.0.1:0` and reads its port.
  void start_controller();
  /// SIGKILLs the controller and reaps it.
  void kill_controller();
  /// Starts the controller again on the port it had before, retrying
  /// while that port is still taken.
  void restart_controller();
  /// The controller's port, once started.
  int port() const { return port_; }
  /// "127.0.0.1:<port>".
  std::string address() const;
  /// The controller's process (started).
  Process &controller() { return *controller_; }

  /// Starts `app --nu-join <address> extra...` and waits for its
  /// "nu: node <id> serving at <address>" line on stderr.
  ClusterNode &add_node(std::vector<std::string> extra = {});
  /// Starts `count` server nodes, one after the other.
  void add_nodes(int count);
  /// The server nodes, in start order.
  std::vector<ClusterNode> &nodes() { return nodes_; }
  /// The server node that printed `id`; throws if there is none.
  ClusterNode &node(std::uint32_t id);
  /// SIGKILLs the server node `id` and reaps it.
  void kill_node(std::uint32_t id);

  /// Starts the main node: `app --nu-controller <address> nu_flags...
  /// app_args...`. It runs until it exits; see main().
  Process &start_main(std::vector<std::string> app_args,
                      std::vector<std::string> nu_flags = {});
  /// The main node started last.
  Process &main() { return *main_; }

  /// Runs `nuctl --controller <address> args...` to completion.
  RunResult nuctl(std::vector<std::string> args);

  /// Runs `path args...` to completion within `timeout`; throws
  /// std::runtime_error if it does not end in time (it is then killed).
  static RunResult run(const std::string &path, std::vector<std::string> args,
                       const std::string &label,
                       std::chrono::milliseconds timeout);

private:
  void add_transport(std::vector<std::string> &args,
                     const std::string &flag) const;
  std::unique_ptr<Process> launch_controller(int port);

  ClusterPaths paths_;
  int port_ = 0;
  int controllers_started_ = 0;
  std::unique_ptr<Process> controller_;
  std::vector<ClusterNode> nodes_;
  std::unique_ptr<Process> main_; // declared last: destroyed first
};

} // namespace nu::e2e
