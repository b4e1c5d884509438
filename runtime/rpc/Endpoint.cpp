// The endpoint: its calls waiting for replies (by request id, checked
// against the connection), the thread that ends them at their deadlines,
// and the dispatch of each validated frame to a call or to the owner.
#include "nu/rpc/endpoint.hpp"

#include "nu/log/log.hpp"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace nu::rpc {
namespace {

bool default_is_reply(const wire::FrameHeader &header) {
  using enum wire::FrameKind;
  return header.kind == Result || header.kind == Error ||
         header.kind == Unavailable;
}

Failure failure(std::errc code, std::string message) {
  return {std::make_error_code(code), std::move(message)};
}

} // namespace

class Endpoint::Core : public std::enable_shared_from_this<Core> {
public:
  explicit Core(EndpointHandlers handlers) : handlers_(std::move(handlers)) {
    if (!handlers_.is_reply)
      handlers_.is_reply = default_is_reply;
  }

  net::Handlers transport_handlers();
  std::uint64_t new_id() {
    return next_id_.fetch_add(1, std::memory_order_relaxed);
  }
  void add(std::uint64_t id, const net::Connection *conn,
           Clock::time_point deadline, ReplyHandler done);
  std::optional<ReplyHandler> take(std::uint64_t id);
  template <class Pred> void fail_where(Pred pred, const Failure &why);
  std::size_t pending() const {
    std::scoped_lock lock(mu_);
    return calls_.size();
  }
  void stop();

private:
  struct Call {
    const net::Connection *conn;
    ReplyHandler done;
    Clock::time_point deadline;
  };
  void on_frame(const ConnectionPtr &conn, Bytes frame);
  void on_reply(const ConnectionPtr &conn, const wire::FrameHeader &header,
                Bytes frame);
  void on_close(const ConnectionPtr &conn, std::error_code error);
  void expire_loop();
  Clock::time_point expire_due(std::vector<ReplyHandler> &expired);
  Call erase(std::unordered_map<std::uint64_t, Call>::iterator it);

  EndpointHandlers handlers_;
  std::atomic<std::uint64_t> next_id_{1};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::unordered_map<std::uint64_t, Call> calls_;
  bool stopping_ = false;
  // When the expiry thread wakes next (min: it is awake).
  Clock::time_point wake_at_ = Clock::time_point::min();
  std::thread expiry_; // started with the first call that has a deadline
  log::RateLimit bad_frames_;
};

net::Handlers Endpoint::Core::transport_handlers() {
  std::weak_ptr<Core> weak = shared_from_this();
  net::Handlers h;
  h.on_frame = [weak](const ConnectionPtr &conn, Bytes frame) {
    if (auto self = weak.lock())
      self->on_frame(conn, std::move(frame));
  };
  h.on_close = [weak](const ConnectionPtr &conn, std::error_code error) {
    if (auto self = weak.lock())
      self->on_close(conn, error);
  };
  return h;
}

void Endpoint::Core::add(std::uint64_t id, const net::Connection *conn,
                         Clock::time_point deadline, ReplyHandler done) {
  std::scoped_lock lock(mu_);
  calls_.emplace(id, Call{conn, std::move(done), deadline});
  if (deadline == Clock::time_point::max() || stopping_)
    return;
  if (!expiry_.joinable())
    expiry_ = std::thread([this] { expire_loop(); });
  else if (deadline < wake_at_) // the thread sleeps past it: wake it
    wake_.notify_one();
}

Endpoint::Core::Call
Endpoint::Core::erase(std::unordered_map<std::uint64_t, Call>::iterator it) {
  Call call = std::move(it->second);
  calls_.erase(it);
  return call;
}

std::optional<ReplyHandler> Endpoint::Core::take(std::uint64_t id) {
  std::scoped_lock lock(mu_);
  auto it = calls_.find(id);
  if (it == calls_.end())
    return std::nullopt;
  return erase(it).done;
}

template <class Pred>
void Endpoint::Core::fail_where(Pred pred, const Failure &why) {
  std::vector<ReplyHandler> failed;
  {
    std::scoped_lock lock(mu_);
    for (auto it = calls_.begin(); it != calls_.end();) {
      auto next = std::next(it);
      if (pred(it->second))
        failed.push_back(erase(it).done);
      it = next;
    }
  }
  for (auto &done : failed)
    done(why);
}

void Endpoint::Core::stop() {
  {
    std::scoped_lock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (expiry_.joinable())
    expiry_.join();
  fail_where([](const Call &) { return true; },
             failure(std::errc::operation_canceled, "the endpoint shut down"));
}

// Fails each call at its deadline. It sleeps until the earliest deadline
// it saw and is woken only for an earlier one: calls that end in time (with
// deadlines far off, as call timeouts are) cost it nothing, and it wakes
// about once a timeout, not once a call.
void Endpoint::Core::expire_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::vector<ReplyHandler> expired;
    wake_at_ = expire_due(expired);
    if (!expired.empty()) {
      lock.unlock();
      for (auto &done : expired)
        done(failure(std::errc::timed_out, "no reply in time"));
      lock.lock();
      continue;
    }
    if (wake_at_ == Clock::time_point::max())
      wake_.wait(lock);
    else
      wake_.wait_until(lock, wake_at_);
  }
}

// Takes the calls whose deadline passed; returns the earliest one left.
Clock::time_point
Endpoint::Core::expire_due(std::vector<ReplyHandler> &expired) {
  auto now = Clock::now();
  auto earliest = Clock::time_point::max();
  for (auto it = calls_.begin(); it != calls_.end();) {
    auto next = std::next(it);
    if (it->second.deadline <= now)
      expired.push_back(erase(it).done);
    else
      earliest = std::min(earliest, it->second.deadline);
    it = next;
  }
  return earliest;
}

void Endpoint::Core::on_frame(const ConnectionPtr &conn, Bytes frame) {
  auto view = wire::parse_frame(frame);
  if (!view) {
    log::limited(bad_frames_, log::get("rpc"), log::Level::warn,
                 "{}: closing connection {}: {}", handlers_.name,
                 conn->peer_address(), view.failure().message);
    conn->close();
    return;
  }
  if (handlers_.is_reply(view->header))
    return on_reply(conn, view->header, std::move(frame));
  if (handlers_.on_request)
    handlers_.on_request(conn, std::move(frame));
}

// A reply completes its call only if it came on the call's connection; one
// for a live call on another connection is forged: that connection closes.
void Endpoint::Core::on_reply(const ConnectionPtr &conn,
                              const wire::FrameHeader &header, Bytes frame) {
  ReplyHandler done;
  {
    std::scoped_lock lock(mu_);
    auto it = calls_.find(header.request_id);
    if (it == calls_.end())
      return; // the caller gave up, or a stray reply: nothing to complete
    if (it->second.conn == conn.get()) {
      done = erase(it).done;
    }
  }
  if (done)
    return done(std::move(frame));
  log::limited(bad_frames_, log::get("rpc"), log::Level::warn,
               "{}: closing connection {}: it sent a reply to request {}, "
               "which went out on another connection",
               handlers_.name, conn->peer_address(), header.request_id);
  conn->close();
}

void Endpoint::Core::on_close(const ConnectionPtr &conn,
                              std::error_code error) {
  if (handlers_.on_close)
    handlers_.on_close(conn, error);
  const net::Connection *closed = conn.get();
  fail_where(
      [closed](const Call &call) { return call.conn == closed; },
      failure(std::errc::connection_reset,
              "the connection to " + conn->peer_address() + " was lost"));
}

Endpoint::Endpoint(net::Transport &transport, EndpointHandlers handlers)
    : core_(std::make_shared<Core>(std::move(handlers))),
      transport_(transport) {}

Endpoint::~Endpoint() { core_->stop(); }

Expected<std::string> Endpoint::listen(const std::string &address) {
  return transport_.listen(address, core_->transport_handlers());
}

Expected<ConnectionPtr> Endpoint::connect(const std::string &address) {
  return transport_.connect(address, core_->transport_handlers());
}

std::uint64_t Endpoint::new_request_id() { return core_->new_id(); }

std::uint64_t Endpoint::call(const ConnectionPtr &conn,
                             wire::FrameHeader header, Bytes frame,
                             Clock::time_point deadline, ReplyHandler done) {
  if (header.request_id == 0)
    header.request_id = core_->new_id();
  const std::uint64_t id = header.request_id;
  if (!conn) {
    done(failure(std::errc::not_connected, "no connection"));
    return id;
  }
  wire::finish_frame(frame, header);
  core_->add(id, conn.get(), deadline, std::move(done));
  if (auto error = conn->send(std::move(frame)))
    if (auto handler = core_->take(id))
      (*handler)(Failure{error, "cannot send to " + conn->peer_address() +
                                    ": " + error.message()});
  return id;
}

Expected<Bytes> Endpoint::call(const ConnectionPtr &conn,
                               wire::FrameHeader header, Bytes frame,
                               std::chrono::milliseconds timeout) {
  auto outcome = std::make_shared<std::promise<Expected<Bytes>>>();
  auto future = outcome->get_future();
  call(conn, header, std::move(frame), Clock::now() + timeout,
       [outcome](Expected<Bytes> reply) {
         outcome->set_value(std::move(reply));
       });
  return future.get(); // the deadline thread ends it by the deadline
}

std::error_code Endpoint::post(const ConnectionPtr &conn,
                               wire::FrameHeader header, Bytes frame) {
  if (!conn)
    return std::make_error_code(std::errc::not_connected);
  header.flags |= wire::kOneWay;
  wire::finish_frame(frame, header);
  return conn->send(std::move(frame));
}

bool Endpoint::cancel(std::uint64_t id) { return core_->take(id).has_value(); }

void Endpoint::fail(const net::Connection &conn, const Failure &why) {
  core_->fail_where([&conn](const auto &call) { return call.conn == &conn; },
                    why);
}

void Endpoint::fail_all(const Failure &why) {
  core_->fail_where([](const auto &) { return true; }, why);
}

std::size_t Endpoint::pending() const { return core_->pending(); }

} // namespace nu::rpc
