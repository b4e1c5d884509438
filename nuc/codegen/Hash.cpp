// FNV-1a 64 and its spelling in generated code.
// Byte-for-byte the runtime's nu::detail::fnv1a64.
#include "Hash.hpp"

namespace nuc::codegen {

std::uint64_t fnv1a64(std::string_view Text, std::uint64_t Hash) {
  for (char C : Text) {
    Hash ^= static_cast<unsigned char>(C);
    Hash *= FnvPrime;
  }
  return Hash;
}

std::string hexLiteral(std::uint64_t Value) {
  static constexpr char Digits[] = "0123456789abcdef";
  std::string Out = "0x";
  for (int Shift = 60; Shift >= 0; Shift -= 4)
    Out += Digits[(Value >> Shift) & 0xf];
  return Out + "ULL";
}

} // namespace nuc::codegen
