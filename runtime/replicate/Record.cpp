// Recording and replaying the sub-invocations of replicated methods, and
// the thread's replication scope.
#include "replicate/Record.hpp"

#include "nu/detail/local_call.hpp"

#include <system_error>

namespace nu::detail {
namespace {

thread_local std::shared_ptr<Recorder> tls_recorder;
thread_local std::shared_ptr<Replayer> tls_replayer;

Recorded record(const Expected<Bytes> &reply) {
  if (reply)
    return {true, false, {}, *reply};
  return {false,
          reply.failure().code == std::errc::timed_out,
          reply.failure().message,
          {}};
}

} // namespace

std::size_t Recorder::reserve(SubCall call) {
  std::scoped_lock lock(mu_);
  calls_.push_back(std::move(call));
  ++pending_;
  return calls_.size() - 1;
}

void Recorder::fill(std::size_t index, const Expected<Bytes> &reply) {
  std::scoped_lock lock(mu_);
  calls_[index].result = record(reply);
  if (--pending_ == 0)
    cv_.notify_all();
}

std::vector<SubCall> Recorder::take() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return pending_ == 0; });
  return std::move(calls_);
}

std::optional<Expected<Bytes>> Replayer::next(const SubCall &call) {
  std::scoped_lock lock(mu_);
  for (std::size_t i = 0; i < calls_.size(); ++i) {
    if (used_[i] || !calls_[i].same_call(call))
      continue;
    used_[i] = true;
    const Recorded &r = calls_[i].result;
    if (r.ok)
      return Expected<Bytes>(r.frame);
    auto code =
        r.timed_out ? std::errc::timed_out : std::errc::connection_reset;
    return Expected<Bytes>(Failure{std::make_error_code(code), r.message});
  }
  diverged_ = true;
  return std::nullopt;
}

bool Replayer::diverged() const {
  std::scoped_lock lock(mu_);
  return diverged_;
}

// The fastpath is turned off by a record that looks full: LocalCall then
// goes the request way at no cost to calls outside replicated methods.
struct ReplicationScope::Saved {
  std::shared_ptr<Recorder> recorder;
  std::shared_ptr<Replayer> replayer;
  ThreadCalls *calls = nullptr;
  ThreadCalls full;
};

ReplicationScope::ReplicationScope(std::shared_ptr<Recorder> recorder,
                                   std::shared_ptr<Replayer> replayer)
    : saved_(std::make_unique<Saved>()) {
  saved_->recorder = std::exchange(tls_recorder, std::move(recorder));
  saved_->replayer = std::exchange(tls_replayer, std::move(replayer));
  saved_->calls = tls_calls;
  saved_->full.depth.store(ThreadCalls::kDepth, std::memory_order_relaxed);
  tls_calls = &saved_->full;
}

ReplicationScope::~ReplicationScope() {
  tls_calls = saved_->calls;
  tls_recorder = std::move(saved_->recorder);
  tls_replayer = std::move(saved_->replayer);
}

std::shared_ptr<Recorder> current_recorder() { return tls_recorder; }
std::shared_ptr<Replayer> current_replayer() { return tls_replayer; }

std::function<void()> in_replication_scope(std::function<void()> task) {
  if (!tls_recorder && !tls_replayer)
    return task;
  return [recorder = tls_recorder, replayer = tls_replayer,
          task = std::move(task)] {
    ReplicationScope scope(recorder, replayer);
    task();
  };
}

} // namespace nu::detail
