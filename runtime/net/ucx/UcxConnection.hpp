// One UCX endpoint as a nu connection: frames are active messages, handed
// to the handlers whole, checked, and in the order they were sent.
#pragma once

#include "UcxCore.hpp"

#include <atomic>
#include <deque>
#include <memory>
#include <string>

namespace nu::net::ucx {

/// The active message id of nu frames.
inline constexpr unsigned kFrameAm = 17;
/// The active message a connection closed by close() sends last: the peer
/// ends its side when it arrives, after every frame sent before it. (UCX
/// drops what a peer sent over shared memory once it sees the peer
/// disconnect, so the closing side waits for the peer to go first.)
inline constexpr unsigned kByeAm = 18;

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
  /// (eager) or still to come (rendezvous: `data` is UCX's descriptor;
  /// UCS_INPROGRESS when it is kept for later).
  void on_eager(const void *data, std::size_t length);
  ucs_status_t on_rendezvous(Core &core, void *data, std::size_t length);
  /// Hands over the frames that are complete, in order; closes the
  /// connection over a malformed one.
  void deliver_ready();
  /// Ends the connection and runs on_close with \p error; false if already
  /// ended. \p graceful: says bye and lets the peer disconnect first (what
  /// was sent arrives); else disconnects at once.
  bool end(Core &core, std::error_code error, bool graceful);
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
  /// A rendezvous frame whose bytes are still the peer's.
  struct Announced {
    void *data; // UCX's descriptor
    std::size_t length;
    std::shared_ptr<Pending> slot;
  };

  bool try_send(Core &core, Bytes &frame);
  void close_endpoint(Core &core, ucp_ep_h ep, bool graceful);
  void receive_next(Core &core);
  void finish_receive(Core &core, ucs_status_t status, Receive &receive);
  static void on_received(void *request, ucs_status_t status,
                          std::size_t length, void *user_data);
  static void on_sent(void *request, ucs_status_t status, void *user_data);

  std::weak_ptr<Core> core_;
  const std::string peer_;
  Handlers handlers_;
  /// Why send() fails now; empty while open.
  std::atomic<int> ended_{0};
  std::atomic<bool> closing_{false}; // close() was called
  std::atomic<ucp_ep_h> ep_{nullptr};
  std::atomic<int> senders_{0}; // send() calls using ep_ now
  /// In the order the frames were sent (shared with rendezvous receives).
  std::deque<std::shared_ptr<Pending>> arriving_;
  /// Announced rendezvous frames, received one at a time (I/O thread only).
  std::deque<Announced> announced_;
  bool receiving_ = false;
};

} // namespace nu::net::ucx
