// RPC benchmark peer: Add(a, b) through Apache Thrift (binary protocol,
// buffered transport, TThreadedServer), one connection per client thread.
#include "Driver.hpp"

#include "Bench.h"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TServerSocket.h>
#include <thrift/transport/TSocket.h>

#include <memory>
#include <stdexcept>
#include <thread>

namespace {

using namespace rpcbench;
using namespace apache::thrift;
using rpcbench::gen::BenchClient;

// ---- Server ---------------------------------------------------------------

class BenchHandler : public gen::BenchIf {
public:
  std::int32_t Add(const std::int32_t a, const std::int32_t b) override {
    return a + b;
  }
};

// Announces the port once serve() has the socket listening.
class ReadyHandler : public server::TServerEventHandler {
public:
  explicit ReadyHandler(std::shared_ptr<transport::TServerSocket> socket)
      : socket_(std::move(socket)) {}
  void preServe() override { announce_ready(socket_->getPort()); }

private:
  std::shared_ptr<transport::TServerSocket> socket_;
};

void serve(server::TThreadedServer &server) {
  try {
    server.serve();
  } catch (const std::exception &error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    std::fflush(nullptr);
    std::_Exit(1);
  }
}

int run_server(const Options &options) {
  block_stop_signals();
  auto socket =
      std::make_shared<transport::TServerSocket>("127.0.0.1", options.port);
  server::TThreadedServer server(
      std::make_shared<gen::BenchProcessor>(std::make_shared<BenchHandler>()),
      socket, std::make_shared<transport::TBufferedTransportFactory>(),
      std::make_shared<protocol::TBinaryProtocolFactory>());
  server.setServerEventHandler(std::make_shared<ReadyHandler>(socket));
  std::thread(serve, std::ref(server)).detach();
  wait_for_shutdown();
  exit_server();
}

// ---- Client ---------------------------------------------------------------

struct Connection {
  std::shared_ptr<transport::TTransport> transport;
  BenchClient client;
  std::int32_t next = 0;

  explicit Connection(std::shared_ptr<transport::TTransport> buffered)
      : transport(buffered),
        client(std::make_shared<protocol::TBinaryProtocol>(buffered)) {
    transport->open();
  }
  void call() {
    std::int32_t first = next++ % 100000, second = 7;
    if (client.Add(first, second) != first + second)
      throw std::runtime_error("wrong sum from the server");
  }
};

Call connect_to(int port) {
  auto socket = std::make_shared<transport::TSocket>("127.0.0.1", port);
  socket->setNoDelay(true);
  auto connection = std::make_shared<Connection>(
      std::make_shared<transport::TBufferedTransport>(socket));
  return [connection] { connection->call(); };
}

int run_client(const Options &options) {
  return run_blocking("thrift", options.client,
                      [&](int) { return connect_to(options.port); });
}

} // namespace

int main(int argc, char **argv) {
  std::optional<Options> options = parse_options(argc, argv);
  if (!options)
    return usage(argv[0]);
  return guarded_main([&] {
    return options->server ? run_server(*options) : run_client(*options);
  });
}
