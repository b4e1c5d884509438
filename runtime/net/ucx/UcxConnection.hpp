// One UCX endpoint as a nu connection: frames are active messages, handed
// to the handlers whole, checked, and in the order they were sent.
#pragma once

#include "UcxCore.hpp"

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace nu::net::ucx {

/// The active message id of nu frames.
inline constexpr unsigned kFrameAm = 17;

class UcxConnection final : public Connection,
                            public std::enable_shared_from_this<UcxConnection> {
public:
  UcxConnection(std::weak_ptr<Core> core, std::string peer, Handlers handlers)
      : core_(std::move(core)), peer_(std::move(peer)),
        handlers_(std::move(handlers)) {}

  std::error_code send(Bytes frame) override;
  void close() override;
  const std::string &peer_address() const override { return peer_; }

  // The rest runs on the core's I/O thread.

  /// Takes \p ep as this connection's endpoint.
  void attach(Core &core, ucp_ep_h ep);
  /// A frame arrived in the active message callback: its bytes copied
  /// (eager) or still to come (rendezvous: `data` is UCX's descriptor).
  void on_eager(const void *data, std::size_t length);
  void on_rendezvous(Core &core, void *data, std::size_t length);
  /// Ends the connection: closes the endpoint (flushing what was sent when
  /// \p flush) and runs on_close with \p error; false if already ended.
  bool end(Core &core, std::error_code error, bool flush);
  /// Ends a connection whose connect() failed, without on_close.
  void abandon(Core &core);

  /// Between its endpoint's creation and connect() knowing it is up.
  bool connecting = false;

private:
  struct Pending {
    Bytes frame;
    bool ready = false;
  };
  struct Receive;

  void deliver_ready();
  static void on_received(void *request, ucs_status_t status,
                          std::size_t length, void *user_data);
  static void on_sent(void *request, ucs_status_t status, void *user_data);

  std::weak_ptr<Core> core_;
  const std::string peer_;
  Handlers handlers_;
  /// Why send() fails now; empty while open.
  std::atomic<int> ended_{0};
  std::atomic<bool> closing_{false}; // close() was called
  ucp_ep_h ep_ = nullptr;
  std::deque<Pending> arriving_; // in the order the frames were sent
};

} // namespace nu::net::ucx
