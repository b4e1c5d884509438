// Sending frames as UCP active messages, receiving them (eager or through
// the rendezvous protocol straight into the frame's buffer) in order, and
// ending a connection once, from whichever side or error comes first.
#include "UcxConnection.hpp"

#include "nu/wire/frame.hpp"

namespace nu::net::ucx {
namespace {

std::error_code code(std::errc e) { return std::make_error_code(e); }

// A frame being sent: kept alive until UCX is done with its bytes.
struct Send {
  std::shared_ptr<UcxConnection> connection;
  Bytes frame;
};

} // namespace

// A rendezvous frame being received into its slot of arriving_, which it
// keeps alive until UCX is done with it (even when the connection ends).
struct UcxConnection::Receive {
  std::shared_ptr<UcxConnection> connection;
  std::shared_ptr<Pending> slot;
};

std::error_code UcxConnection::send(Bytes frame) {
  if (int ended = ended_.load())
    return code(static_cast<std::errc>(ended));
  if (closing_.load())
    return code(std::errc::not_connected);
  auto core = core_.lock();
  if (!core)
    return code(std::errc::not_connected);
  if (try_send(*core, frame))
    return {};
  // Not attached yet (a connect() made on the I/O thread), or ending.
  core->post(
      [self = shared_from_this(), core, frame = std::move(frame)]() mutable {
        if (!self->ended_.load())
          self->try_send(*core, frame);
      });
  return {};
}

// Sends from the calling thread (the worker is thread-safe), unless the
// endpoint is gone; end() closes it only once no send is using it.
bool UcxConnection::try_send(Core &core, Bytes &frame) {
  senders_.fetch_add(1);
  ucp_ep_h ep = ep_.load();
  if (!ep) {
    senders_.fetch_sub(1);
    return false;
  }
  auto *send = new Send{shared_from_this(), std::move(frame)};
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK |
                       UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FIELD_FLAGS;
  param.flags = UCP_AM_SEND_FLAG_REPLY; // the receiver learns our endpoint
  param.cb.send = &UcxConnection::on_sent;
  param.user_data = send;
  ucs_status_ptr_t request = ucp_am_send_nbx(
      ep, kFrameAm, nullptr, 0, send->frame.data(), send->frame.size(), &param);
  senders_.fetch_sub(1);
  if (!UCS_PTR_IS_PTR(request)) {
    delete send; // done at once, or failed (the error handler ends it)
    return true;
  }
  if (core.on_io_thread()) // its completion needs progress
    core.want_progress();
  else
    ucp_worker_signal(core.worker());
  return true;
}

void UcxConnection::on_sent(void *request, ucs_status_t, void *user_data) {
  delete static_cast<Send *>(user_data);
  ucp_request_free(request);
}

void UcxConnection::close() {
  auto core = core_.lock();
  if (!core || ended_.load() || closing_.exchange(true))
    return;
  core->post([self = shared_from_this(), core] { self->end(*core, {}, true); });
}

void UcxConnection::attach(Core &core, ucp_ep_h ep) {
  core.connections[ep] = shared_from_this();
  ep_.store(ep);
}

void UcxConnection::abandon(Core &core) {
  Handlers none;
  std::swap(handlers_, none);
  end(core, std::make_error_code(std::errc::connection_refused), false);
}

bool UcxConnection::end(Core &core, std::error_code error, bool graceful) {
  // send() then fails with the reason, or not_connected after our own
  // close or shutdown.
  bool ours = !error || error == std::errc::operation_canceled;
  int why = ours ? static_cast<int>(std::errc::not_connected) : error.value();
  int open = 0;
  if (!ended_.compare_exchange_strong(open, why))
    return false;
  if (ucp_ep_h ep = ep_.exchange(nullptr)) {
    core.connections.erase(ep);
    close_endpoint(core, ep, graceful);
  }
  arriving_.clear();
  for (auto &announced : announced_)
    ucp_am_data_release(core.worker(), announced.data);
  announced_.clear();
  if (handlers_.on_close)
    handlers_.on_close(shared_from_this(), error);
  return true;
}

// Closes \p ep once no send() is inside it (one that loaded it before
// end() took it is finishing on its thread: try again after it).
void UcxConnection::close_endpoint(Core &core, ucp_ep_h ep, bool graceful) {
  if (senders_.load() != 0) {
    core.post([self = shared_from_this(), &core, ep, graceful] {
      self->close_endpoint(core, ep, graceful);
    });
    return;
  }
  if (!graceful)
    return core.close_endpoint(ep, false);
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
  param.flags = UCP_AM_SEND_FLAG_REPLY;
  ucs_status_ptr_t bye =
      ucp_am_send_nbx(ep, kByeAm, nullptr, 0, nullptr, 0, &param);
  if (UCS_PTR_IS_PTR(bye))
    ucp_request_free(bye); // released once sent
  core.linger(ep);
}

void UcxConnection::on_eager(const void *data, std::size_t length) {
  if (ended_.load())
    return;
  auto *bytes = static_cast<const std::byte *>(data);
  arriving_.push_back(
      std::make_shared<Pending>(Pending{Bytes(bytes, bytes + length), true}));
  if (auto core = core_.lock())
    core->deliver_later(shared_from_this());
}

ucs_status_t UcxConnection::on_rendezvous(Core &core, void *data,
                                          std::size_t length) {
  if (ended_.load() || length > wire::kHeaderSize + wire::kMaxPayload) {
    ucp_am_data_release(core.worker(), data);
    if (!ended_.load())
      end(core, code(std::errc::message_size), false);
    return UCS_OK;
  }
  auto slot = arriving_.emplace_back(std::make_shared<Pending>());
  announced_.push_back({data, length, std::move(slot)});
  receive_next(core);
  // A descriptor kept for later is valid only if UCX is told so.
  return announced_.empty() ? UCS_OK : UCS_INPROGRESS;
}

// Receives the announced frames one at a time, as tcp reads them: a peer
// announcing many large frames at once has memory taken for one of them.
void UcxConnection::receive_next(Core &core) {
  while (!receiving_ && !announced_.empty()) {
    Announced next = std::move(announced_.front());
    announced_.pop_front();
    next.slot->frame.resize(next.length);
    auto *receive = new Receive{shared_from_this(), next.slot};
    ucp_request_param_t param{};
    param.op_attr_mask =
        UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    param.cb.recv_am = &UcxConnection::on_received;
    param.user_data = receive;
    receiving_ = true;
    ucs_status_ptr_t request = ucp_am_recv_data_nbx(
        core.worker(), next.data, next.slot->frame.data(), next.length, &param);
    if (UCS_PTR_IS_PTR(request))
      return;
    finish_receive(core, UCS_PTR_STATUS(request), *receive);
    delete receive;
  }
}

void UcxConnection::on_received(void *request, ucs_status_t status, std::size_t,
                                void *user_data) {
  std::unique_ptr<Receive> receive(static_cast<Receive *>(user_data));
  ucp_request_free(request);
  auto core = receive->connection->core_.lock();
  if (!core)
    return;
  receive->connection->finish_receive(*core, status, *receive);
  receive->connection->receive_next(*core);
}

void UcxConnection::finish_receive(Core &core, ucs_status_t status,
                                   Receive &receive) {
  receiving_ = false;
  if (ended_.load())
    return; // arriving_ was cleared; the slot goes with `receive`
  if (status != UCS_OK) {
    end(core, code(std::errc::connection_reset), false);
    return;
  }
  receive.slot->ready = true;
  core.deliver_later(receive.connection);
}

void UcxConnection::deliver_ready() {
  while (!arriving_.empty() && arriving_.front()->ready) {
    Bytes frame = std::move(arriving_.front()->frame);
    arriving_.pop_front();
    auto parsed = wire::parse_frame(frame);
    if (!parsed) {
      if (auto core = core_.lock())
        end(*core, parsed.failure().code, false);
      return;
    }
    if (handlers_.on_frame)
      handlers_.on_frame(shared_from_this(), std::move(frame));
    if (ended_.load())
      return;
  }
}

} // namespace nu::net::ucx
