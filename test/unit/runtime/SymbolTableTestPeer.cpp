// A second translation unit for SymbolTableTest: it defines a static function
// whose mangled name SymbolTableTest.cpp also uses, so the name is ambiguous.
namespace nu_symbol_test {

static int helper() { return 2; }

const void *helper_in_peer_unit() {
  return reinterpret_cast<const void *>(&helper);
}

} // namespace nu_symbol_test
