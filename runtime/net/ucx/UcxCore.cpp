// The UCX transport's context, worker and I/O thread: the worker is
// progressed when its event fd fires and after every posted task, never by
// spinning.
#include "UcxCore.hpp"
#include "UcxConnection.hpp"

#include <chrono>
#include <cstdlib>
#include <future>
#include <utility>

namespace nu::net::ucx {
namespace {

// UCX settings the transport needs, unless the environment sets them. UCX
// reads these from the environment only (ucp_config_modify reaches neither
// transport nor connection manager settings), so they are set there before
// UCX reads it. Shared memory stays in use with per-peer error handling (UCX
// leaves it out by default), a dead peer on it is noticed within a second
// (keepalive) instead of twenty, a listener's port is reusable at once
// after a restart, and the worker's lock is a mutex (a spinlock whose holder
// is descheduled stalls a sender on the same CPU for a time slice: 8 ms).
void configure() {
  static constexpr std::pair<const char *, const char *> kSettings[] = {
      {"UCX_POSIX_ERROR_HANDLING", "y"}, {"UCX_SYSV_ERROR_HANDLING", "y"},
      {"UCX_KEEPALIVE_INTERVAL", "1s"},  {"UCX_TCP_CM_REUSEADDR", "y"},
      {"UCX_USE_MT_MUTEX", "y"},
  };
  for (auto [name, value] : kSettings)
    setenv(name, value, 0);
}

} // namespace

detail::Failure ucx_failure(std::errc code, const std::string &what,
                            ucs_status_t status) {
  return {std::make_error_code(code), what + ": " + ucs_status_string(status)};
}

Expected<std::shared_ptr<Core>> Core::create() {
  configure();
  std::shared_ptr<Core> core(new Core);
  ucp_config_t *config = nullptr;
  ucs_status_t status = ucp_config_read(nullptr, nullptr, &config);
  if (status != UCS_OK)
    return ucx_failure(std::errc::invalid_argument, "ucx: reading UCX_*",
                       status);
  ucp_params_t params{};
  params.field_mask = UCP_PARAM_FIELD_FEATURES;
  params.features = UCP_FEATURE_AM | UCP_FEATURE_WAKEUP;
  status = ucp_init(&params, config, &core->context_);
  ucp_config_release(config);
  if (status != UCS_OK)
    return ucx_failure(std::errc::io_error, "ucx: ucp_init", status);
  ucp_worker_params_t worker{};
  worker.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
  worker.thread_mode = UCS_THREAD_MODE_MULTI; // send() runs anywhere
  status = ucp_worker_create(core->context_, &worker, &core->worker_);
  if (status != UCS_OK)
    return ucx_failure(std::errc::io_error, "ucx: ucp_worker_create", status);
  int fd = -1;
  status = ucp_worker_get_efd(core->worker_, &fd);
  if (status != UCS_OK)
    return ucx_failure(std::errc::io_error, "ucx: ucp_worker_get_efd", status);
  core->event_ =
      std::make_unique<asio::posix::stream_descriptor>(core->io_, fd);
  return core;
}

Core::~Core() {
  if (thread_.joinable()) // the I/O thread let go of it last: it is this one
    thread_.detach();
  if (event_)
    event_->release(); // the fd is the worker's
  event_.reset();
  // Endpoints still closing keep requests the worker must see end first.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (worker_ && closing_ > 0 && std::chrono::steady_clock::now() < deadline)
    ucp_worker_progress(worker_);
  if (worker_)
    ucp_worker_destroy(worker_);
  if (context_)
    ucp_cleanup(context_);
}

void Core::start() {
  std::lock_guard lock(thread_mu_);
  thread_ = std::thread([self = shared_from_this()] {
    self->thread_id_ = std::this_thread::get_id();
    self->watch();
    self->io_.run();
    self->connections.clear();
  });
}

void Core::post(std::function<void()> task) {
  asio::post(io_, [this, task = std::move(task)] {
    task();
    progress();
  });
}

bool Core::run(const std::function<void()> &task) {
  if (on_io_thread()) {
    task();
    progress();
    return true;
  }
  if (stopped_.load())
    return false;
  std::promise<void> done;
  auto ran = done.get_future();
  post([&task, &done] {
    task();
    done.set_value();
  });
  ran.wait();
  return true;
}

void Core::close_endpoint(ucp_ep_h ep, bool flush) {
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS | UCP_OP_ATTR_FIELD_CALLBACK |
                       UCP_OP_ATTR_FIELD_USER_DATA;
  param.flags = flush ? 0 : UCP_EP_CLOSE_FLAG_FORCE;
  param.cb.send = [](void *request, ucs_status_t, void *core) {
    --static_cast<Core *>(core)->closing_;
    ucp_request_free(request);
  };
  param.user_data = this;
  ucs_status_ptr_t request = ucp_ep_close_nbx(ep, &param);
  if (UCS_PTR_IS_PTR(request))
    ++closing_;
}

void Core::linger(ucp_ep_h ep) {
  constexpr auto kLinger = std::chrono::seconds(5);
  lingering_.insert(ep);
  auto timer = std::make_shared<asio::steady_timer>(io_, kLinger);
  timer->async_wait([this, timer, ep](std::error_code error) {
    if (!error)
      end_linger(ep);
  });
}

bool Core::end_linger(ucp_ep_h ep) {
  if (lingering_.erase(ep) == 0)
    return false;
  close_endpoint(ep, false);
  return true;
}

void Core::end_lingering() {
  for (ucp_ep_h ep : lingering_)
    close_endpoint(ep, false);
  lingering_.clear();
}

bool Core::on_io_thread() const {
  return std::this_thread::get_id() == thread_id_;
}

void Core::stop() {
  stopped_.store(true);
  guard_.reset();
  io_.stop();
  if (on_io_thread()) // it ends by itself once the current task returns
    return;
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable())
    thread_.join();
}

// Progresses until nothing is left and arms the worker's event fd, then
// hands the frames that arrived to their handlers: the worker's lock is
// free by then, so a worker thread replying at once does not wait for it.
// Again if a handler asked for progress.
void Core::progress() {
  if (progressing_) {
    again_ = true; // a handler called from progress: the outer loop goes on
    return;
  }
  progressing_ = true;
  do {
    again_ = false;
    for (;;) {
      while (ucp_worker_progress(worker_) != 0) {
      }
      if (ucp_worker_arm(worker_) != UCS_ERR_BUSY)
        break;
    }
    auto ready = std::move(delivering_);
    delivering_.clear();
    for (auto &connection : ready)
      connection->deliver_ready();
  } while (again_);
  progressing_ = false;
}

void Core::want_progress() {
  if (progressing_)
    again_ = true;
  else
    post([] {});
}

void Core::deliver_later(std::shared_ptr<UcxConnection> connection) {
  if (!progressing_)
    return connection->deliver_ready();
  delivering_.push_back(std::move(connection));
}

void Core::watch() {
  progress();
  event_->async_wait(asio::posix::descriptor_base::wait_read,
                     [this](std::error_code error) {
                       if (!error)
                         watch();
                     });
}

} // namespace nu::net::ucx
