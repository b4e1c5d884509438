// Test helpers for transports: handlers that record what a transport
// delivers (and wait for it), and frames whose payload can be checked.
#pragma once

#include "nu/net/transport.hpp"
#include "nu/wire/frame.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace nu::net::conformance {

/// How long a test waits for a transport to deliver before it fails.
inline constexpr std::chrono::seconds kWait{30};

/// A frame of \p kind whose \p payload_size payload bytes follow a pattern
/// seeded by \p request_id (see intact()).
inline Bytes make_frame(std::uint64_t request_id, std::size_t payload_size,
                        wire::FrameKind kind = wire::FrameKind::Call) {
  Bytes frame = wire::start_frame();
  frame.reserve(wire::kHeaderSize + payload_size);
  for (std::size_t i = 0; i < payload_size; ++i)
    frame.push_back(static_cast<std::byte>((request_id * 131 + i * 7) & 0xFF));
  wire::FrameHeader header;
  header.kind = kind;
  header.request_id = request_id;
  wire::finish_frame(frame, header);
  return frame;
}

/// Whether \p frame is valid and is make_frame(request_id, payload_size, _).
inline bool intact(const Bytes &frame, std::uint64_t request_id,
                   std::size_t payload_size) {
  auto view = wire::parse_frame(frame);
  return view && view->header.request_id == request_id &&
         frame == make_frame(request_id, payload_size, view->header.kind);
}

/// The request id of a valid \p frame (~0 if it is not valid).
inline std::uint64_t request_id_of(const Bytes &frame) {
  auto view = wire::parse_frame(frame);
  return view ? view->header.request_id : ~std::uint64_t{0};
}

/// Records the frames and closes its handlers see, with their connection
/// and thread, and waits for them. Outlives every transport using it.
class Inbox {
public:
  using ConnectionPtr = std::shared_ptr<Connection>;
  struct Frame {
    ConnectionPtr connection;
    Bytes bytes;
    std::thread::id thread;
  };
  struct Close {
    ConnectionPtr connection;
    std::error_code error;
    std::thread::id thread;
    std::size_t frames_before; ///< frames of this connection recorded
  };
  using Hook = std::function<void(const ConnectionPtr &, const Bytes &)>;

  /// Handlers recording into this inbox.
  Handlers handlers() {
    Handlers handlers;
    handlers.on_frame = [this](const ConnectionPtr &connection, Bytes bytes) {
      Hook hook;
      {
        std::lock_guard lock(mutex_);
        frames_.push_back({connection, bytes, std::this_thread::get_id()});
        hook = hook_;
        changed_.notify_all();
      }
      if (hook)
        hook(connection, bytes);
    };
    handlers.on_close = [this](const ConnectionPtr &connection,
                               std::error_code error) {
      std::lock_guard lock(mutex_);
      std::size_t before = 0;
      for (const auto &frame : frames_)
        before += frame.connection == connection;
      closes_.push_back(
          {connection, error, std::this_thread::get_id(), before});
      changed_.notify_all();
    };
    return handlers;
  }

  /// Runs \p hook on each frame, on the delivering thread, once the frame
  /// is recorded.
  void on_frame(Hook hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }

  /// Answers each frame that is not a Result with a Result of the same
  /// request id and payload, on the same connection.
  void echo() {
    on_frame([](const ConnectionPtr &connection, const Bytes &bytes) {
      auto view = wire::parse_frame(bytes);
      if (!view || view->header.kind == wire::FrameKind::Result)
        return;
      Bytes reply = bytes;
      auto header = view->header;
      header.kind = wire::FrameKind::Result;
      wire::finish_frame(reply, header);
      auto error = connection->send(std::move(reply));
      EXPECT_FALSE(error) << "echo: " << error.message();
    });
  }

  /// Waits (at most kWait) until \p n frames are recorded.
  bool wait_frames(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return frames_.size() >= n; });
  }
  /// Waits (at most kWait) until \p n closes are recorded.
  bool wait_closes(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return closes_.size() >= n; });
  }

  /// A copy of the frames recorded so far, in the order they arrived.
  std::vector<Frame> frames() {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  /// A copy of the closes recorded so far, in the order they ran.
  std::vector<Close> closes() {
    std::lock_guard lock(mutex_);
    return closes_;
  }
  std::size_t frame_count() {
    std::lock_guard lock(mutex_);
    return frames_.size();
  }
  std::size_t close_count() {
    std::lock_guard lock(mutex_);
    return closes_.size();
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Frame> frames_;
  std::vector<Close> closes_;
  Hook hook_;
};

} // namespace nu::net::conformance
