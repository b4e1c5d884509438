// The sub-invocations of a replicated method: recorded as the primary runs
// it, replayed when a backup runs it again, so that none is made twice.
#pragma once

#include "replicate/Replication.hpp"

#include "nu/detail/expected.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace nu::detail {

/// The primary's record: a place per sub-invocation in the order they were
/// sent, filled when each one's reply (or failure) comes.
class Recorder {
public:
  /// Reserves the next place for a call to \p call (its result unset).
  std::size_t reserve(SubCall call);
  void fill(std::size_t index, const Expected<Bytes> &reply);
  /// Waits until every reserved place is filled, and takes them.
  std::vector<SubCall> take();

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SubCall> calls_;
  std::size_t pending_ = 0;
};

/// A backup's replay: each sub-invocation gets the first unused result of a
/// call to the same proclet, method (or closure) and kind.
class Replayer {
public:
  explicit Replayer(std::vector<SubCall> calls)
      : calls_(std::move(calls)), used_(calls_.size()) {}
  /// The recorded reply of such a call; nullopt if the primary made none
  /// (the method is not deterministic).
  std::optional<Expected<Bytes>> next(const SubCall &call);
  /// True if some call found no record.
  bool diverged() const;

private:
  mutable std::mutex mu_;
  std::vector<SubCall> calls_;
  std::vector<bool> used_;
  bool diverged_ = false;
};

/// Marks the calling thread as running a replicated invocation for the
/// scope's lifetime: its sub-invocations are recorded (or replayed), and
/// the local fastpath is off, so that every one goes through the node.
class ReplicationScope {
public:
  ReplicationScope(std::shared_ptr<Recorder> recorder,
                   std::shared_ptr<Replayer> replayer);
  ~ReplicationScope();
  ReplicationScope(const ReplicationScope &) = delete;
  ReplicationScope &operator=(const ReplicationScope &) = delete;

private:
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

/// The calling thread's recorder or replayer, if it runs a replicated
/// invocation.
std::shared_ptr<Recorder> current_recorder();
std::shared_ptr<Replayer> current_replayer();
/// \p task, made to run in the caller's replication scope (if any) on
/// whichever thread runs it: RunAsync on a local proclet.
std::function<void()> in_replication_scope(std::function<void()> task);

} // namespace nu::detail
