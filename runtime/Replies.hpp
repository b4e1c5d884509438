// Reply frames to a request: results, errors (from the exception being
// handled) and other kinds; shared by the node's request handlers.
#pragma once

#include "Demangle.hpp"
#include "nu/detail/node_api.hpp"
#include "nu/errors.hpp"
#include "nu/wire/frame.hpp"

#include <typeinfo>

namespace nu::detail {

inline Bytes reply_frame(const wire::FrameHeader &request, wire::FrameKind kind,
                         Bytes frame, std::uint64_t aux = 0) {
  wire::FrameHeader h;
  h.kind = kind;
  h.request_id = request.request_id;
  h.proclet_id = request.proclet_id;
  h.aux = aux;
  wire::finish_frame(frame, h);
  return frame;
}

template <class... Ts>
Bytes reply_with(const wire::FrameHeader &request, wire::FrameKind kind,
                 const Ts &...values) {
  Bytes frame = wire::start_frame();
  encode(frame, SerialContext{}, values...);
  return reply_frame(request, kind, std::move(frame));
}

/// The reply for the exception being handled.
inline Bytes error_reply(const wire::FrameHeader &request) {
  try {
    std::rethrow_exception(as_remote_error(std::current_exception()));
  } catch (const RemoteError &e) {
    return reply_with(request, wire::FrameKind::Error, e.type_name(),
                      std::string(e.what()));
  } catch (const std::exception &e) { // a registered type: its own name
    return reply_with(request, wire::FrameKind::Error,
                      demangle(typeid(e).name()), std::string(e.what()));
  }
}

} // namespace nu::detail
