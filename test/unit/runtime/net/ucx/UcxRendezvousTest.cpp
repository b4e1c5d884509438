// Tests of the ucx plugin against a raw UCP peer that announces large
// frames through the rendezvous protocol: many at once, and too large ones.
#include "../FrameHelpers.hpp"
#include "UcxConnection.hpp"
#include "nu/net/transport.hpp"

#include <gtest/gtest.h>
#include <ucp/api/ucp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace nu::net {
namespace {

using namespace std::chrono_literals;
using ConnectionPtr = std::shared_ptr<Connection>;
constexpr std::size_t kMiB = 1 << 20;

std::size_t peak_rss() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;
}

// The frames (their request ids) and closes the listening side saw.
struct Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::uint64_t> ids;
  std::vector<std::error_code> closes;

  Handlers handlers() {
    Handlers h;
    h.on_frame = [this](const ConnectionPtr &, Bytes frame) {
      auto id = test::request_id_of(frame);
      frame = {}; // dropped at once, as a node would once it decoded it
      std::lock_guard lock(mutex);
      ids.push_back(id);
      changed.notify_all();
    };
    h.on_close = [this](const ConnectionPtr &, std::error_code error) {
      std::lock_guard lock(mutex);
      closes.push_back(error);
      changed.notify_all();
    };
    return h;
  }
  template <class Done> bool wait(Done done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 20s, done);
  }
};

// A UCP client of its own, progressed by the test's thread.
class RawPeer {
public:
  explicit RawPeer(const std::string &address) {
    ucp_params_t params{};
    params.field_mask = UCP_PARAM_FIELD_FEATURES;
    params.features = UCP_FEATURE_AM;
    EXPECT_EQ(ucp_init(&params, nullptr, &context_), UCS_OK);
    ucp_worker_params_t worker{};
    EXPECT_EQ(ucp_worker_create(context_, &worker, &worker_), UCS_OK);
    auto colon = address.rfind(':');
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(std::stoi(address.substr(colon + 1)));
    inet_pton(AF_INET, address.substr(0, colon).c_str(), &at.sin_addr);
    ucp_ep_params_t ep{};
    ep.field_mask = UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR |
                    UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE;
    ep.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
    ep.sockaddr.addr = reinterpret_cast<const sockaddr *>(&at);
    ep.sockaddr.addrlen = sizeof at;
    ep.err_mode = UCP_ERR_HANDLING_MODE_PEER;
    EXPECT_EQ(ucp_ep_create(worker_, &ep, &ep_), UCS_OK);
  }
  ~RawPeer() {
    ucp_request_param_t param{};
    param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    param.flags = UCP_EP_CLOSE_FLAG_FORCE;
    wait(ucp_ep_close_nbx(ep_, &param));
    ucp_worker_destroy(worker_);
    ucp_cleanup(context_);
  }

  /// Starts sending \p size bytes at \p data as one nu frame.
  void send(const void *data, std::size_t size) {
    ucp_request_param_t param{};
    param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    param.flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_RNDV;
    sends_.push_back(
        ucp_am_send_nbx(ep_, ucx::kFrameAm, nullptr, 0, data, size, &param));
  }
  /// Progresses until every send ended (or failed) or \p done holds.
  template <class Done> void progress(Done done) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      ucp_worker_progress(worker_);
      std::this_thread::yield();
    }
  }
  void finish() {
    for (auto request : sends_)
      wait(request);
    sends_.clear();
  }

private:
  void wait(ucs_status_ptr_t request) {
    if (!UCS_PTR_IS_PTR(request))
      return;
    progress(
        [&] { return ucp_request_check_status(request) != UCS_INPROGRESS; });
    ucp_request_free(request);
  }

  ucp_context_h context_ = nullptr;
  ucp_worker_h worker_ = nullptr;
  ucp_ep_h ep_ = nullptr;
  std::vector<ucs_status_ptr_t> sends_;
};

struct Listening {
  Inbox inbox;
  std::unique_ptr<Transport> transport;
  std::string address;

  Listening() {
    auto made = make_transport("ucx", {});
    if (!made)
      ADD_FAILURE() << made.failure().message;
    transport = std::move(*made);
    auto at = transport->listen("127.0.0.1:0", inbox.handlers());
    EXPECT_TRUE(at);
    address = *at;
  }
};

// Eight 32 MiB frames announced at once take memory for one or two of them
// at a time, not for all eight; all arrive, in order.
TEST(UcxRendezvous, AnnouncedFramesAreReceivedOneAtATime) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "ASan's quarantine keeps freed frames: RSS measures nothing";
#endif
  Listening server;
  std::vector<Bytes> frames(8); // distinct ids, one buffer each
  for (std::uint64_t i = 0; i < frames.size(); ++i) {
    frames[i] = wire::start_frame();
    frames[i].resize(wire::kHeaderSize + 32 * kMiB, std::byte{7});
    wire::FrameHeader header;
    header.kind = wire::FrameKind::Call;
    header.request_id = i + 1;
    wire::finish_frame(frames[i], header);
  }
  RawPeer peer(server.address);
  std::size_t before = peak_rss();
  for (auto &frame : frames)
    peer.send(frame.data(), frame.size());
  peer.progress([&] {
    std::lock_guard lock(server.inbox.mutex);
    return server.inbox.ids.size() == frames.size();
  });
  peer.finish();
  ASSERT_TRUE(server.inbox.wait([&] { return server.inbox.ids.size() == 8; }))
      << server.inbox.ids.size() << " frames, " << server.inbox.closes.size()
      << " closes";
  EXPECT_EQ(server.inbox.ids,
            (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_LT(peak_rss() - before, 160 * kMiB) << "all eight were allocated";
}

// A rendezvous frame longer than a frame can be closes the connection
// before any memory is taken for it.
TEST(UcxRendezvous, AFrameTooLargeClosesTheConnection) {
  Listening server;
  std::size_t size = wire::kHeaderSize + wire::kMaxPayload + 1;
  void *huge = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(huge, MAP_FAILED);
  Bytes header = test::make_frame(wire::FrameKind::Call, 1);
  std::memcpy(huge, header.data(), header.size()); // lengths disagree: moot
  RawPeer peer(server.address);
  std::size_t before = peak_rss();
  peer.send(huge, size);
  peer.progress([&] {
    std::lock_guard lock(server.inbox.mutex);
    return !server.inbox.closes.empty();
  });
  ASSERT_TRUE(server.inbox.wait([&] { return !server.inbox.closes.empty(); }));
  EXPECT_EQ(server.inbox.closes[0], std::errc::message_size);
  EXPECT_TRUE(server.inbox.ids.empty());
  EXPECT_LT(peak_rss() - before, 64 * kMiB);
  peer.finish();
  munmap(huge, size);
}

} // namespace
} // namespace nu::net
