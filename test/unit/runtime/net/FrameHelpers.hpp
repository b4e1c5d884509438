// Frames for the transport tests: build one with a payload, read back its
// request id and payload.
#pragma once

#include "nu/wire/frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace nu::net {
using namespace nu::wire; // the transport tests speak frames
} // namespace nu::net

namespace nu::net::test {

inline Bytes make_frame(FrameKind kind, std::uint64_t request_id,
                        std::string_view payload = {}) {
  Bytes frame = start_frame();
  for (char c : payload)
    frame.push_back(static_cast<std::byte>(c));
  FrameHeader header;
  header.kind = kind;
  header.request_id = request_id;
  finish_frame(frame, header);
  return frame;
}

inline std::uint64_t request_id_of(const Bytes &frame) {
  auto view = parse_frame(frame);
  EXPECT_TRUE(view);
  return view ? view->header.request_id : ~0ull;
}

inline std::string payload_of(const Bytes &frame) {
  auto view = parse_frame(frame);
  EXPECT_TRUE(view);
  if (!view)
    return {};
  return {reinterpret_cast<const char *>(view->payload.data()),
          view->payload.size()};
}

} // namespace nu::net::test
