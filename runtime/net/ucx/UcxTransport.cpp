// The UCX transport plugin ("ucx"): listeners and client-server endpoints
// on IPv4 socket addresses, frames as active messages, peer failures
// reported per endpoint; and the plugin's entry point.
#include "UcxConnection.hpp"
#include "UcxCore.hpp"

#include "nu/transport_plugin.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <future>
#include <vector>

namespace nu::net::ucx {
namespace {

using namespace std::chrono_literals;

constexpr auto kConnectTimeout = 5s;

detail::Failure failure(std::errc e, std::string message) {
  return {std::make_error_code(e), std::move(message)};
}

// "a.b.c.d:port" ("" is 127.0.0.1 on a port the system picks).
Expected<sockaddr_in> parse_address(const std::string &address) {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  if (address.empty()) {
    out.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return out;
  }
  auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  unsigned long port = 0;
  try {
    port = colon == std::string::npos ? 70000
                                      : std::stoul(address.substr(colon + 1));
  } catch (const std::exception &) {
    port = 70000;
  }
  if (port > 65535 || inet_pton(AF_INET, host.c_str(), &out.sin_addr) != 1)
    return failure(std::errc::invalid_argument,
                   "ucx: '" + address + "' is not an IPv4 address:port");
  out.sin_port = htons(static_cast<std::uint16_t>(port));
  return out;
}

std::string format_address(const sockaddr_storage &address) {
  const auto &in = reinterpret_cast<const sockaddr_in &>(address);
  char host[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(in.sin_port));
}

void on_ep_error(void *arg, ucp_ep_h ep, ucs_status_t) {
  auto &core = *static_cast<Core *>(arg);
  if (core.end_linger(ep))
    return; // the peer went after our bye, as it should
  auto it = core.connections.find(ep);
  if (it == core.connections.end())
    return;
  auto connection = it->second;
  if (connection->connecting)
    return; // its flush fails too, and connect() reports it
  // Ends it after this round of progress: the frames the peer sent before
  // it went (over another lane than the disconnect) are delivered first.
  core.post([connection, &core] {
    connection->end(core, std::make_error_code(std::errc::connection_reset),
                    false);
  });
}

ucp_ep_params_t endpoint_params(Core &core) {
  ucp_ep_params_t params{};
  params.field_mask =
      UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE | UCP_EP_PARAM_FIELD_ERR_HANDLER;
  params.err_mode = UCP_ERR_HANDLING_MODE_PEER;
  params.err_handler.cb = &on_ep_error;
  params.err_handler.arg = &core;
  return params;
}

ucs_status_t on_frame(void *arg, const void *, std::size_t, void *data,
                      std::size_t length, const ucp_am_recv_param_t *param) {
  auto &core = *static_cast<Core *>(arg);
  bool rendezvous = param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV;
  auto it = (param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP)
                ? core.connections.find(param->reply_ep)
                : core.connections.end();
  if (it == core.connections.end()) {
    if (rendezvous)
      ucp_am_data_release(core.worker(), data);
    return UCS_OK; // from an endpoint that is no connection (any more)
  }
  auto connection = it->second;
  if (rendezvous)
    return connection->on_rendezvous(core, data, length);
  connection->on_eager(data, length);
  return UCS_OK;
}

// The peer closed its side after sending what it had: ends ours.
ucs_status_t on_bye(void *arg, const void *, std::size_t, void *data,
                    std::size_t, const ucp_am_recv_param_t *param) {
  auto &core = *static_cast<Core *>(arg);
  if (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV)
    ucp_am_data_release(core.worker(), data);
  if (!(param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP))
    return UCS_OK;
  auto it = core.connections.find(param->reply_ep);
  if (it != core.connections.end()) {
    auto connection = it->second;
    connection->deliver_ready(); // what came before the bye goes first
    connection->end(core, std::make_error_code(std::errc::connection_reset),
                    false);
  }
  return UCS_OK;
}

void on_connect_request(ucp_conn_request_h request, void *arg) {
  auto &core = *static_cast<Core *>(arg);
  ucp_conn_request_attr_t attr{};
  attr.field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR;
  std::string peer = ucp_conn_request_query(request, &attr) == UCS_OK
                         ? format_address(attr.client_address)
                         : "ucx peer";
  ucp_ep_params_t params = endpoint_params(core);
  params.field_mask |= UCP_EP_PARAM_FIELD_CONN_REQUEST;
  params.conn_request = request;
  ucp_ep_h ep = nullptr;
  if (ucp_ep_create(core.worker(), &params, &ep) != UCS_OK)
    return;
  auto connection = std::make_shared<UcxConnection>(core.weak_from_this(), peer,
                                                    core.accepted);
  connection->attach(core, ep);
}

class UcxTransport final : public Transport {
public:
  explicit UcxTransport(std::shared_ptr<Core> core) : core_(std::move(core)) {
    ucp_am_handler_param_t am{};
    am.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID |
                    UCP_AM_HANDLER_PARAM_FIELD_CB |
                    UCP_AM_HANDLER_PARAM_FIELD_ARG;
    am.id = kFrameAm;
    am.cb = &on_frame;
    am.arg = core_.get();
    ucp_worker_set_am_recv_handler(core_->worker(), &am);
    am.id = kByeAm;
    am.cb = &on_bye;
    ucp_worker_set_am_recv_handler(core_->worker(), &am);
    core_->start();
  }
  ~UcxTransport() override { shutdown(); }

  std::string_view name() const override { return "ucx"; }

  Expected<std::string> listen(const std::string &address,
                               Handlers handlers) override {
    auto at = parse_address(address);
    if (!at)
      return at.failure();
    Expected<std::string> result =
        failure(std::errc::operation_canceled, "ucx: shut down");
    core_->run([&] {
      if (shut_)
        return;
      core_->accepted = std::move(handlers);
      result = create_listener(*at);
    });
    return result;
  }

  Expected<std::shared_ptr<Connection>> connect(const std::string &address,
                                                Handlers handlers) override;

  // Called again from another thread than the I/O thread (as the
  // destructor is), it waits for that thread to end: a process that exits
  // meanwhile would free what it still uses.
  void shutdown() override {
    if (!shut_.exchange(true))
      end_all();
    core_->stop();
  }

private:
  void end_all() {
    core_->run([this] {
      for (ucp_listener_h listener : listeners_)
        ucp_listener_destroy(listener);
      listeners_.clear();
      auto connections = core_->connections;
      for (auto &[ep, connection] : connections)
        connection->end(
            *core_, std::make_error_code(std::errc::operation_canceled), false);
      core_->end_lingering();
    });
  }

  Expected<std::string> create_listener(const sockaddr_in &at) {
    ucp_listener_params_t params{};
    params.field_mask = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR |
                        UCP_LISTENER_PARAM_FIELD_CONN_HANDLER;
    params.sockaddr.addr = reinterpret_cast<const sockaddr *>(&at);
    params.sockaddr.addrlen = sizeof at;
    params.conn_handler.cb = &on_connect_request;
    params.conn_handler.arg = core_.get();
    ucp_listener_h listener = nullptr;
    ucs_status_t status =
        ucp_listener_create(core_->worker(), &params, &listener);
    if (status != UCS_OK)
      return ucx_failure(std::errc::address_in_use, "ucx: listen", status);
    listeners_.push_back(listener);
    ucp_listener_attr_t attr{};
    attr.field_mask = UCP_LISTENER_ATTR_FIELD_SOCKADDR;
    if (ucp_listener_query(listener, &attr) != UCS_OK)
      return failure(std::errc::io_error, "ucx: cannot query the listener");
    return format_address(attr.sockaddr);
  }

  std::shared_ptr<Core> core_;
  std::atomic<bool> shut_{false};
  std::vector<ucp_listener_h> listeners_; // I/O thread only
};

// A connect in progress: the flush of its new endpoint completes once the
// endpoint is connected, or fails.
struct Connecting {
  std::shared_ptr<UcxConnection> connection;
  std::promise<ucs_status_t> done;
};

void on_flushed(void *request, ucs_status_t status, void *user_data) {
  std::unique_ptr<Connecting> connecting(static_cast<Connecting *>(user_data));
  if (request)
    ucp_request_free(request);
  if (status == UCS_OK)
    connecting->connection->connecting = false;
  connecting->done.set_value(status);
}

Expected<std::shared_ptr<Connection>>
UcxTransport::connect(const std::string &address, Handlers handlers) {
  auto at = parse_address(address);
  if (!at)
    return at.failure();
  auto connection =
      std::make_shared<UcxConnection>(core_, address, std::move(handlers));
  std::future<ucs_status_t> outcome;
  bool started = core_->run([&] {
    if (shut_)
      return;
    ucp_ep_params_t params = endpoint_params(*core_);
    params.field_mask |=
        UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR;
    params.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
    params.sockaddr.addr = reinterpret_cast<const sockaddr *>(&*at);
    params.sockaddr.addrlen = sizeof *at;
    ucp_ep_h ep = nullptr;
    auto *connecting = new Connecting{connection, {}};
    outcome = connecting->done.get_future();
    if (ucp_ep_create(core_->worker(), &params, &ep) != UCS_OK)
      return on_flushed(nullptr, UCS_ERR_UNREACHABLE, connecting);
    connection->connecting = true; // frames may come before the flush ends
    connection->attach(*core_, ep);
    ucp_request_param_t flush{};
    flush.op_attr_mask =
        UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    flush.cb.send = &on_flushed;
    flush.user_data = connecting;
    ucs_status_ptr_t request = ucp_ep_flush_nbx(ep, &flush);
    if (!UCS_PTR_IS_PTR(request))
      on_flushed(nullptr, UCS_PTR_STATUS(request), connecting);
  });
  if (!started || !outcome.valid())
    return failure(std::errc::operation_canceled, "ucx: shut down");
  if (core_->on_io_thread()) // cannot wait here: failures come as on_close
    return std::shared_ptr<Connection>(connection);
  if (outcome.wait_for(kConnectTimeout) == std::future_status::ready &&
      outcome.get() == UCS_OK)
    return std::shared_ptr<Connection>(connection);
  core_->run([&] { connection->abandon(*core_); });
  return failure(std::errc::connection_refused,
                 "ucx: cannot connect to " + address);
}

std::unique_ptr<Transport> make_ucx_transport(const TransportOptions &) {
  auto core = Core::create();
  if (!core)
    throw std::runtime_error(core.failure().message);
  return std::make_unique<UcxTransport>(std::move(*core));
}

} // namespace
} // namespace nu::net::ucx

NU_DEFINE_TRANSPORT_PLUGIN("ucx", nu::net::ucx::make_ucx_transport)
