// The archives every nu payload is written with: cereal's binary archives
// over a byte buffer, carrying the node the bytes belong to.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include <cereal/cereal.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "nu/detail/random.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <limits>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace nu::detail {

class Node;

/// A serialized message body.
using Bytes = std::vector<std::byte>;

/// What (de)serialization code may need to know: the node on whose behalf
/// bytes are written or read (proclet handles split and merge their
/// reference weight with it).
struct SerialContext {
  Node *node = nullptr;
};

/// Thrown when a payload does not decode into the expected types.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// cereal output archive appending raw little-endian bytes to a buffer, or
/// to a sequence of buffers of a bounded size (a state saved straight into
/// the frames that carry it).
class OutArchive
    : public cereal::OutputArchive<OutArchive, cereal::AllowEmptyClassElision> {
public:
  OutArchive(Bytes &out, SerialContext ctx)
      : OutputArchive(this), out_(&out), ctx_(ctx) {}
  /// Appends to the last of \p buffers (one is added if there is none) and
  /// adds more as each reaches \p limit bytes; each new one starts with
  /// \p prefix bytes of room (at most \p limit).
  OutArchive(std::deque<Bytes> &buffers, SerialContext ctx, std::size_t limit,
             std::size_t prefix)
      : OutputArchive(this), ctx_(ctx), buffers_(&buffers), limit_(limit),
        prefix_(prefix) {
    if (buffers.empty())
      next_buffer();
    out_ = &buffers.back();
  }
  /// Grows the buffer, then copies: GCC 12 at -O3 sees out-of-bounds
  /// copies (-Warray-bounds, -Wstringop-overread) in the reallocating path
  /// of vector::insert(end, first, last) once inlined into user code.
  void saveBinary(const void *data, std::size_t size) {
    if (size == 0) // data may be null (an empty vector's bytes)
      return;
    const std::size_t old = out_->size();
    if (size > limit_ - old)
      return spill(static_cast<const std::byte *>(data), size);
    out_->resize(old + size);
    std::memcpy(out_->data() + old, data, size);
  }
  const SerialContext &context() const { return ctx_; }
#ifdef __NUC__
  // nuc reads the program before it has written the serializers of its
  // aggregates, so nothing is serialized while it does (it checks types
  // itself).
  template <class... Ts> OutArchive &operator()(Ts &&...) { return *this; }
#endif

private:
  /// Fills the buffer to its limit and goes on in new ones.
  void spill(const std::byte *data, std::size_t size) {
    while (size > 0) {
      if (out_->size() == limit_)
        out_ = &next_buffer();
      std::size_t n = std::min(size, limit_ - out_->size());
      const std::size_t old = out_->size();
      out_->resize(old + n);
      std::memcpy(out_->data() + old, data, n);
      data += n;
      size -= n;
    }
  }
  Bytes &next_buffer() {
    Bytes &next = buffers_->emplace_back();
    next.reserve(limit_);
    next.resize(prefix_);
    return next;
  }

  Bytes *out_ = nullptr;
  SerialContext ctx_;
  std::deque<Bytes> *buffers_ = nullptr;
  std::size_t limit_ = std::numeric_limits<std::size_t>::max();
  std::size_t prefix_ = 0;
};

/// cereal input archive over a span, or a sequence of spans read as one;
/// reads past the end and lengths longer than what is left throw
/// DecodeError.
class InArchive
    : public cereal::InputArchive<InArchive, cereal::AllowEmptyClassElision> {
public:
  InArchive(std::span<const std::byte> in, SerialContext ctx)
      : InputArchive(this), in_(in), ctx_(ctx) {}
  /// Reads \p parts one after the other; they must outlive the archive.
  InArchive(std::span<const std::span<const std::byte>> parts,
            SerialContext ctx)
      : InputArchive(this), ctx_(ctx), parts_(parts) {
    for (auto part : parts)
      later_ += part.size();
    next_part();
  }
  void loadBinary(void *data, std::size_t size) {
    if (size > in_.size() - pos_)
      return load_across(static_cast<std::byte *>(data), size);
    if (size == 0) // an empty vector's data() may be null
      return;
    std::memcpy(data, in_.data() + pos_, size);
    pos_ += size;
  }
  std::size_t remaining() const { return in_.size() - pos_ + later_; }
  const SerialContext &context() const { return ctx_; }
#ifdef __NUC__
  template <class... Ts> InArchive &operator()(Ts &&...) { return *this; }
#endif

private:
  /// Reads bytes that run past the current part into the next ones.
  void load_across(std::byte *data, std::size_t size) {
    if (size > remaining())
      throw DecodeError("truncated payload");
    while (size > 0) {
      if (pos_ == in_.size())
        next_part();
      std::size_t n = std::min(size, in_.size() - pos_);
      std::memcpy(data, in_.data() + pos_, n);
      pos_ += n;
      data += n;
      size -= n;
    }
  }
  void next_part() {
    while (!parts_.empty() && (in_.size() == pos_)) {
      in_ = parts_.front();
      parts_ = parts_.subspan(1);
      later_ -= in_.size();
      pos_ = 0;
    }
  }

  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  SerialContext ctx_;
  std::span<const std::span<const std::byte>> parts_; // after in_
  std::size_t later_ = 0;                             // bytes in parts_
};

/// Appends the serialized form of \p values to \p out.
template <class... Ts>
void encode(Bytes &out, SerialContext ctx, const Ts &...values) {
  OutArchive ar(out, ctx);
  ar(values...);
}

/// The node an archive works for (null outside a node).
inline Node *archive_node(const OutArchive &ar) { return ar.context().node; }
inline Node *archive_node(const InArchive &ar) { return ar.context().node; }

/// Reads values from a payload; the whole payload must be consumed.
class Decoder {
public:
  Decoder(std::span<const std::byte> in, SerialContext ctx) : ar_(in, ctx) {}
  Decoder(std::span<const std::span<const std::byte>> parts, SerialContext ctx)
      : ar_(parts, ctx) {}
  InArchive &archive() { return ar_; }
  template <class... Ts> void operator()(Ts &...values) { ar_(values...); }
  /// Throws DecodeError unless every byte was read.
  void finish() {
    if (ar_.remaining() != 0)
      throw DecodeError("trailing bytes in payload");
  }

private:
  InArchive ar_;
};

} // namespace nu::detail

namespace cereal {

template <class T>
  requires std::is_arithmetic_v<T>
void CEREAL_SAVE_FUNCTION_NAME(nu::detail::OutArchive &ar, const T &t) {
  ar.saveBinary(std::addressof(t), sizeof(t));
}
template <class T>
  requires std::is_arithmetic_v<T>
void CEREAL_LOAD_FUNCTION_NAME(nu::detail::InArchive &ar, T &t) {
  if constexpr (std::is_same_v<T, bool>) { // any other byte would be UB
    unsigned char byte = 0;
    ar.loadBinary(&byte, 1);
    if (byte > 1)
      throw nu::detail::DecodeError("a bool that is neither 0 nor 1");
    t = byte != 0;
  } else {
    ar.loadBinary(std::addressof(t), sizeof(t));
  }
}
template <class Archive, class T>
CEREAL_ARCHIVE_RESTRICT(nu::detail::InArchive, nu::detail::OutArchive)
CEREAL_SERIALIZE_FUNCTION_NAME(Archive &ar, NameValuePair<T> &t) {
  ar(t.value);
}
template <class T>
void CEREAL_SAVE_FUNCTION_NAME(nu::detail::OutArchive &ar,
                               const SizeTag<T> &t) {
  ar(t.size);
}
/// Container lengths are checked against the bytes left, so a corrupt
/// length cannot make the reader allocate without bound.
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(nu::detail::InArchive &ar, SizeTag<T> &t) {
  ar(t.size);
  if (static_cast<std::size_t>(t.size) > ar.remaining())
    throw nu::detail::DecodeError("length exceeds payload");
}
/// Vectors and deques grow with the elements actually read, so a length
/// that lies costs no more memory than the bytes that came (cereal's own
/// loads size the container first: up to sizeof(T) times the payload).
template <class T, class A>
  requires(!std::is_same_v<T, bool>) // cereal's vector<bool> load is exact
void CEREAL_LOAD_FUNCTION_NAME(nu::detail::InArchive &ar,
                               std::vector<T, A> &v) {
  size_type n = 0;
  ar(make_size_tag(n));
  if constexpr (std::is_arithmetic_v<T>) { // saved as one block
    if (n > ar.remaining() / sizeof(T))
      throw nu::detail::DecodeError("length exceeds payload");
    v.resize(n);
    ar(binary_data(v.data(), n * sizeof(T)));
    return;
  }
  v.clear();
  v.reserve(std::min<std::size_t>(n, ar.remaining() / sizeof(T)));
  for (size_type i = 0; i < n; ++i)
    ar(v.emplace_back());
}
template <class T, class A>
void CEREAL_LOAD_FUNCTION_NAME(nu::detail::InArchive &ar, std::deque<T, A> &d) {
  size_type n = 0;
  ar(make_size_tag(n));
  d.clear();
  for (size_type i = 0; i < n; ++i)
    ar(d.emplace_back());
}
template <class T>
void CEREAL_SAVE_FUNCTION_NAME(nu::detail::OutArchive &ar,
                               const BinaryData<T> &bd) {
  ar.saveBinary(bd.data, static_cast<std::size_t>(bd.size));
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(nu::detail::InArchive &ar, BinaryData<T> &bd) {
  ar.loadBinary(bd.data, static_cast<std::size_t>(bd.size));
}

} // namespace cereal

CEREAL_REGISTER_ARCHIVE(nu::detail::OutArchive)
CEREAL_REGISTER_ARCHIVE(nu::detail::InArchive)
CEREAL_SETUP_ARCHIVE_TRAITS(nu::detail::InArchive, nu::detail::OutArchive)
