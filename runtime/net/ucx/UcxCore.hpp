// The state the UCX transport's objects share: one UCP context and worker,
// progressed by one I/O thread through Asio on the worker's event fd.
#pragma once

#include "nu/net/transport.hpp"

#include <asio.hpp>
#include <ucp/api/ucp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace nu::net::ucx {

class UcxConnection;

/// Every UCP call but a send runs on the I/O thread; other threads post
/// work to it. Sends run on the sender's thread (the worker is thread-safe).
class Core : public std::enable_shared_from_this<Core> {
public:
  /// A context and worker with active messages and wake-ups, or why not.
  static Expected<std::shared_ptr<Core>> create();
  ~Core();
  Core(const Core &) = delete;
  Core &operator=(const Core &) = delete;

  /// Starts the I/O thread (which keeps the core alive while it runs).
  void start();
  /// Runs \p task on the I/O thread, then progresses the worker.
  void post(std::function<void()> task);
  /// Runs \p task on the I/O thread and waits for it (inline when called
  /// there); false if the thread has stopped.
  bool run(const std::function<void()> &task);
  bool on_io_thread() const;
  /// Ends the I/O thread after the current task; joins it unless called
  /// on it (then it ends by itself).
  void stop();

  ucp_worker_h worker() const { return worker_; }
  /// Closes \p ep in the background; the worker outlives the close.
  void close_endpoint(ucp_ep_h ep, bool flush);
  /// Keeps \p ep (said bye) until its peer disconnects, kLinger at most.
  void linger(ucp_ep_h ep);
  /// Closes \p ep if it lingers; false if it does not.
  bool end_linger(ucp_ep_h ep);
  /// Closes every lingering endpoint (shutdown).
  void end_lingering();
  /// Progresses the worker soon (I/O thread only).
  void want_progress();
  /// Has \p connection hand over its complete frames once the worker is
  /// armed (at once outside progress), so that a handler's thread replying
  /// does not wait for the worker's lock while progress still holds it.
  void deliver_later(std::shared_ptr<UcxConnection> connection);

  /// The connections by endpoint (I/O thread only).
  std::unordered_map<ucp_ep_h, std::shared_ptr<UcxConnection>> connections;
  /// The accepting side's handlers (I/O thread only).
  Handlers accepted;

private:
  Core() = default;
  void progress();
  void watch();

  ucp_context_h context_ = nullptr;
  ucp_worker_h worker_ = nullptr;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::unique_ptr<asio::posix::stream_descriptor> event_;

  std::mutex thread_mu_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_;
  std::atomic<bool> stopped_{false};
  bool progressing_ = false; // I/O thread only
  bool again_ = false;       // progress() was asked for during it
  int closing_ = 0;          // endpoints still closing (I/O thread only)
  std::unordered_set<ucp_ep_h> lingering_;                 // I/O thread only
  std::vector<std::shared_ptr<UcxConnection>> delivering_; // I/O thread only
};

/// A UCS status as an error code and its text.
detail::Failure ucx_failure(std::errc code, const std::string &what,
                            ucs_status_t status);

} // namespace nu::net::ucx
