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

#include <cstddef>
#include <cstring>
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

/// cereal output archive appending raw little-endian bytes to a buffer.
class OutArchive
    : public cereal::OutputArchive<OutArchive, cereal::AllowEmptyClassElision> {
public:
  OutArchive(Bytes &out, SerialContext ctx)
      : OutputArchive(this), out_(out), ctx_(ctx) {}
  /// Grows the buffer, then copies: GCC 12 at -O3 sees out-of-bounds
  /// copies (-Warray-bounds, -Wstringop-overread) in the reallocating path
  /// of vector::insert(end, first, last) once inlined into user code.
  void saveBinary(const void *data, std::size_t size) {
    if (size == 0) // data may be null (an empty vector's bytes)
      return;
    const std::size_t old = out_.size();
    out_.resize(old + size);
    std::memcpy(out_.data() + old, data, size);
  }
  const SerialContext &context() const { return ctx_; }
#ifdef __NUC__
  // nuc reads the program before it has written the serializers of its
  // aggregates, so nothing is serialized while it does (it checks types
  // itself).
  template <class... Ts> OutArchive &operator()(Ts &&...) { return *this; }
#endif

private:
  Bytes &out_;
  SerialContext ctx_;
};

/// cereal input archive over a span; reads past the end and lengths longer
/// than what is left throw DecodeError.
class InArchive
    : public cereal::InputArchive<InArchive, cereal::AllowEmptyClassElision> {
public:
  InArchive(std::span<const std::byte> in, SerialContext ctx)
      : InputArchive(this), in_(in), ctx_(ctx) {}
  void loadBinary(void *data, std::size_t size) {
    if (size > in_.size() - pos_)
      throw DecodeError("truncated payload");
    if (size == 0) // an empty vector's data() may be null
      return;
    std::memcpy(data, in_.data() + pos_, size);
    pos_ += size;
  }
  std::size_t remaining() const { return in_.size() - pos_; }
  const SerialContext &context() const { return ctx_; }
#ifdef __NUC__
  template <class... Ts> InArchive &operator()(Ts &&...) { return *this; }
#endif

private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  SerialContext ctx_;
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
