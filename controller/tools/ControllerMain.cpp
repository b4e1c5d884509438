// nu-controller: the controller service as a process of its own. Prints
// the address it listens at, serves until SIGINT or SIGTERM.
#include "Args.hpp"
#include "Service.hpp"
#include "nu/log/log.hpp"
#include "nu/net/secret.hpp"

#include <csignal>
#include <iostream>

namespace {

constexpr const char *kUsage =
    "usage: nu-controller [--listen HOST:PORT] [--heartbeat-ms N]\n"
    "                     [--heartbeat-timeout-ms N] [--transport NAME]\n"
    "                     [--secret-file PATH] [--insecure] [--recover]\n"
    "                     [--tls-cert PEM --tls-key PEM --tls-ca PEM]\n"
    "                     [--quiet]\n"
    "  --listen               address to serve at (default 127.0.0.1:7070;\n"
    "                         port 0 picks a free one)\n"
    "  --heartbeat-ms         how often nodes report their load (default 500)\n"
    "  --heartbeat-timeout-ms silence after which a node is dead (default "
    "3000)\n"
    "  --transport            transport name or plugin path (default tcp)\n"
    "  --secret-file          file holding the cluster secret (readable by\n"
    "                         its owner only; default: the file\n"
    "                         NU_SECRET_FILE names)\n"
    "  --insecure             allow listening beyond loopback without a\n"
    "                         secret\n"
    "  --tls-cert, --tls-key, --tls-ca\n"
    "                         TLS on every link: this process's certificate,\n"
    "                         its key (owner-only) and the CA that signs\n"
    "                         its peers' certificates\n"
    "  --recover              restarting the controller of a running logical\n"
    "                         process: for one heartbeat timeout only take\n"
    "                         rejoins (new nodes and id grants wait)\n"
    "  --quiet                do not log joins, departures and deaths\n";

int usage_error(const std::string &message) {
  std::cerr << "nu-controller: " << message << "\n" << kUsage;
  return 2;
}

std::optional<std::chrono::milliseconds> ms_flag(const nu::controller::Args &a,
                                                 std::string_view name,
                                                 const char *fallback) {
  auto v = nu::controller::parse_positive(a.get(name, fallback));
  if (!v)
    return std::nullopt;
  return std::chrono::milliseconds(*v);
}

/// The cluster secret, or why the controller must not start (protected
/// mode); on loopback without one, a warning.
nu::detail::Expected<std::shared_ptr<const nu::net::Secret>>
secret_for(const nu::controller::Args &args, const std::string &listen) {
  auto secret = nu::net::find_secret(args.get("--secret-file", ""));
  if (!secret || *secret)
    return secret;
  bool insecure = args.has("--insecure");
  auto allowed = nu::net::check_protected_mode(
      listen, false, insecure,
      "give --secret-file PATH or set NU_SECRET_FILE; or --insecure");
  if (!allowed)
    return allowed.failure();
  if (!insecure)
    nu::log::get("controller")
        .warn("no cluster secret: any local process may join or command "
              "this logical process (give --secret-file PATH)");
  return secret;
}

} // namespace

int main(int argc, char **argv) {
  using namespace nu::controller;
  Args args = parse_args(
      argc, argv,
      {"--listen", "--heartbeat-ms", "--heartbeat-timeout-ms", "--transport",
       "--secret-file", "--tls-cert", "--tls-key", "--tls-ca"},
      {"--quiet", "--recover", "--insecure", "--help"});
  if (args.error)
    return usage_error(*args.error);
  if (args.has("--help")) {
    std::cout << kUsage;
    return 0;
  }
  if (!args.positional.empty())
    return usage_error("unexpected argument '" + args.positional[0] + "'");
  auto beat = ms_flag(args, "--heartbeat-ms", "500");
  auto timeout = ms_flag(args, "--heartbeat-timeout-ms", "3000");
  if (!beat || !timeout)
    return usage_error("heartbeat flags take a positive number of ms");

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr); // threads inherit it

  std::string listen = args.get("--listen", "127.0.0.1:7070");
  auto secret = secret_for(args, listen);
  if (!secret)
    return usage_error(secret.failure().message);

  auto tls = nu::net::load_tls(tls_files(args));
  if (!tls)
    return usage_error(tls.failure().message);

  ServiceOptions options;
  options.transport_options.secret = *secret;
  options.transport_options.tls = *tls;
  options.transport_options.role = nu::net::PeerRole::controller;
  options.heartbeat = *beat;
  options.core.heartbeat_timeout = *timeout;
  options.transport = args.get("--transport", "tcp");
  if (args.has("--quiet"))
    nu::log::set_level(nu::log::Level::warn);
  if (args.has("--recover"))
    options.recover_for = *timeout;
  try {
    Service service(options);
    auto address = service.listen(listen);
    if (!address) {
      std::cerr << "nu-controller: cannot listen: " << address.failure().message
                << "\n";
      return 1;
    }
    std::cout << "nu-controller: listening on " << *address << std::endl;
    int signal = 0;
    sigwait(&signals, &signal);
    service.shutdown();
  } catch (const std::exception &e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
