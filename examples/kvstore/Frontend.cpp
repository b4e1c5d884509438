// Starting and stopping a node's RESP server with the Frontend proclet
// that holds it.
#include "Frontend.hpp"

#include "Options.hpp"
#include "Server.hpp"

#include <nu/errors.hpp>
#include <nu/runtime.hpp>

#include <cstdio>

namespace kv {

Frontend::Frontend(Store store, bool main_node) {
  std::string error;
  auto options = parse_options(nu::process_args(), error);
  if (!options)
    throw nu::Error("nu-kvstore: " + error);
  if (!main_node && !options->port_given)
    return;
  server_ =
      std::make_unique<Server>(std::move(store), options->host, options->port,
                               options->limits, options->requirepass);
  std::printf("nu-kvstore: node %llu serving RESP at %s:%d\n",
              static_cast<unsigned long long>(nu::this_node()),
              options->host.c_str(), server_->port());
  std::fflush(stdout);
}

Frontend::~Frontend() = default;

int Frontend::Port() const { return server_ ? server_->port() : 0; }

} // namespace kv
