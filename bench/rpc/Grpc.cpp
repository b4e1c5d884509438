// RPC benchmark peer: Add(a, b) as a gRPC synchronous unary call, one
// channel (and so one connection) per client thread.
#include "Driver.hpp"

#include "bench.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

using namespace rpcbench;
using rpcbench::gen::AddReply;
using rpcbench::gen::AddRequest;

constexpr auto kConnectTimeout = std::chrono::seconds(5);

std::string loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// ---- Server ---------------------------------------------------------------

class BenchService final : public gen::Bench::Service {
  grpc::Status Add(grpc::ServerContext *, const AddRequest *request,
                   AddReply *reply) override {
    reply->set_sum(request->a() + request->b());
    return grpc::Status::OK;
  }
};

int run_server(const Options &options) {
  block_stop_signals();
  BenchService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(loopback(options.port),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0)
    throw std::runtime_error("cannot listen on " + loopback(options.port));
  announce_ready(port);
  wait_for_shutdown();
  exit_server();
}

// ---- Client ---------------------------------------------------------------

struct Connection {
  std::unique_ptr<gen::Bench::Stub> stub;
  std::int32_t next = 0;

  void call() {
    AddRequest request;
    request.set_a(next++ % 100000);
    request.set_b(7);
    AddReply reply;
    grpc::ClientContext context;
    grpc::Status status = stub->Add(&context, request, &reply);
    if (!status.ok())
      throw std::runtime_error("Add failed: " + status.error_message());
    if (reply.sum() != request.a() + request.b())
      throw std::runtime_error("wrong sum from the server");
  }
};

// A channel of its own (a local subchannel pool), so its own connection.
Call connect_to(int port, int index) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetInt("rpcbench.channel", index);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      loopback(port), grpc::InsecureChannelCredentials(), arguments);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 kConnectTimeout))
    throw std::runtime_error("cannot connect to " + loopback(port));
  auto connection = std::make_shared<Connection>();
  connection->stub = gen::Bench::NewStub(channel);
  return [connection] { connection->call(); };
}

int run_client(const Options &options) {
  return run_blocking("grpc", options.client, [&](int index) {
    return connect_to(options.port, index);
  });
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
