// Starting and stopping a node's RESP server with the Frontend proclet
// that holds it.
#include "Frontend.hpp"

#include "Server.hpp"
#include "Socket.hpp"

#include <nu/errors.hpp>
#include <nu/locate.hpp>
#include <nu/runtime.hpp>

#include <atomic>
#include <cstdio>

namespace kv {
namespace {

[[nu::node_local]] std::atomic<int> reserved_fd{-1}; // this process's port

} // namespace

bool reserve_port(const Options &options, bool server_node,
                  std::string &error) {
  if (server_node && !options.port_given && options.cluster) {
    error = "--cluster: every node serves its slots; give --port";
    return false;
  }
  if (server_node && !options.port_given)
    return true;
  int fd = listen_at(options.host, options.port, error);
  if (fd < 0) {
    error = "cannot listen at " + options.host + ":" +
            std::to_string(options.port) + ": " + error;
    return false;
  }
  reserved_fd.store(fd);
  return true;
}

Frontend::Frontend(Store store) {
  int fd = reserved_fd.exchange(-1);
  if (fd < 0)
    return; // this node serves no clients
  std::string error;
  auto options = parse_options(nu::process_args(), error);
  if (!options)
    throw nu::Error("nu-kvstore: " + error);
  if (options->cluster) // MOVED replies name where shards are now
    nu::watch_locations(store.shards());
  server_ = std::make_unique<Server>(std::move(store), *options, fd);
  nu::publish_address(options->host + ":" + std::to_string(server_->port()));
  std::printf("nu-kvstore: node %llu serving RESP at %s:%d\n",
              static_cast<unsigned long long>(nu::this_node()),
              options->host.c_str(), server_->port());
  std::fflush(stdout);
}

Frontend::~Frontend() = default;

int Frontend::Port() const { return server_ ? server_->port() : 0; }

} // namespace kv
