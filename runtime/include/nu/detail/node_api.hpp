// The node's entry points used by the header-only parts of the API
// (handles, calls, futures). Implemented in the runtime library.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/archive.hpp"
#include "nu/detail/call_state.hpp"
#include "nu/detail/handle.hpp"
#include "nu/ids.hpp"
#include "nu/options.hpp"

#include <functional>
#include <memory>
#include <string>
#include <typeinfo>

namespace nu::detail {

/// The node of the calling thread (worker threads, the main thread).
constinit inline thread_local Node *tls_node = nullptr;

/// The calling thread's node, else the process's main node, else throws
/// nu::Error ("the nu runtime is not running").
Node *current_node();
NodeId node_id(Node *node);

/// Sets the calling thread's node for the scope's lifetime.
class NodeScope {
public:
  explicit NodeScope(Node *node) : saved_(tls_node) { tls_node = node; }
  ~NodeScope() { tls_node = saved_; }
  NodeScope(const NodeScope &) = delete;
  NodeScope &operator=(const NodeScope &) = delete;

private:
  Node *saved_;
};

/// Runs \p task on \p node's workers.
void submit(Node *node, std::function<void()> task);

/// What a request invokes on the target proclet.
enum class RequestKind : std::uint8_t { Method, Closure };

/// Sends a request whose payload (after kFrameHeaderSize reserved bytes)
/// is in \p frame; the reply completes \p state.
void send_request(Node *node, ProcletId id, NodeId location, RequestKind kind,
                  std::uint64_t target, std::uint64_t aux, Bytes frame,
                  std::shared_ptr<CallState> state);

/// Where a new proclet goes.
NodeId place(Node *node, const ProcletOptions &options);
/// A heap of its own for a proclet about to be built on \p node (0: none
/// is left; it shares the node's), and its allocation flags.
unsigned acquire_heap(Node *node);
int heap_flags(unsigned heap);
/// Gives back a heap whose proclet was never hosted.
void release_heap(Node *node, unsigned heap);
/// Hosts \p object (allocated for type.destroy, in \p heap) on \p node;
/// returns a proxy holding all of its reference weight.
Proxy *host_proclet(Node *node, const ProcletType &type, void *object,
                    const ProcletOptions &options, unsigned heap);
/// Asks node \p where to construct a proclet (constructor \p ctor_id,
/// arguments in \p frame); returns a proxy holding all of its weight.
Proxy *create_remote(Node *node, NodeId where, const ProcletType &type,
                     std::uint64_t ctor_id, const ProcletOptions &options,
                     Bytes frame);

/// The proxy for a handle read from the wire, holding \p weight more.
/// A new reference to the proclet whose object is \p object, hosted by
/// \p node and of C++ type \p cpp; throws nu::Error if there is none.
Proxy *self_proxy(Node *node, const void *object, const std::type_info &cpp);
Proxy *adopt_proxy(Node *node, ProcletId id, std::uint64_t type_id,
                   NodeId location, std::uint64_t weight);
/// Takes a share of \p proxy's weight for a handle being written out.
std::uint64_t split_weight(Proxy *proxy);

/// The slot of proclet \p id if this node hosts it.
std::shared_ptr<Slot> find_slot(Node *node, ProcletId id);

/// An exception from user code, as the caller sees it (nu::RemoteError).
std::exception_ptr as_remote_error(std::exception_ptr error);

/// Bytes reserved at the front of a request for the frame header.
inline constexpr std::size_t kFrameHeaderSize = 48;

} // namespace nu::detail
