// Unit tests of SymbolTable: round trips through the test binary's own
// symbols, aliases and ambiguous names, and corrupt or truncated ELF files.
#include "SymbolTable.hpp"

#include "nu/detail/hash.hpp"

#include <gtest/gtest.h>

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

namespace nu_symbol_test {

int data_value = 5;

int add_two(int x) { return x + 2; }

static int helper() { return 1; }

const void *helper_in_this_unit() {
  return reinterpret_cast<const void *>(&helper);
}

const void *helper_in_peer_unit(); // SymbolTableTestPeer.cpp

} // namespace nu_symbol_test

namespace nu::detail {
namespace {

using nu_symbol_test::add_two;

const void *address(std::uintptr_t value) {
  return reinterpret_cast<const void *>(value);
}

template <typename F> const void *code(F *function) {
  return reinterpret_cast<const void *>(function);
}

template <typename F> F *as_function(const void *pointer) {
  return reinterpret_cast<F *>(const_cast<void *>(pointer));
}

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// A file in the test's temporary directory, removed at the end.
class TempFile {
public:
  explicit TempFile(const std::string &contents = {}) {
    static int counter = 0;
    path_ = testing::TempDir() + "nu_symbols_" + std::to_string(::getpid()) +
            "_" + std::to_string(counter++);
    write(contents);
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;

  const std::string &path() const { return path_; }
  void write(const std::string &contents) const {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << contents;
  }
  void patch(std::uint64_t offset, const std::string &bytes) const {
    int fd = ::open(path_.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), offset),
              static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }
  void truncate(std::uint64_t size) const {
    ASSERT_EQ(::truncate(path_.c_str(), size), 0);
  }

private:
  std::string path_;
};

struct FakeSymbol {
  std::string name;
  std::uint64_t value;
  unsigned char type = STT_FUNC;
  std::uint16_t section = 1;
};

template <typename T> std::string bytes_of(const T &value) {
  return std::string(reinterpret_cast<const char *>(&value), sizeof value);
}

std::pair<std::string, std::vector<Elf64_Sym>>
string_and_symbol_tables(const std::vector<FakeSymbol> &symbols) {
  std::string strings(1, '\0');
  std::vector<Elf64_Sym> table(1); // the null symbol
  for (const auto &symbol : symbols) {
    Elf64_Sym entry{};
    entry.st_name = strings.size();
    entry.st_info = ELF64_ST_INFO(STB_GLOBAL, symbol.type);
    entry.st_shndx = symbol.section;
    entry.st_value = symbol.value;
    table.push_back(entry);
    strings += symbol.name + '\0';
  }
  return {strings, table};
}

// A minimal ELF64 file: header, a string table, a .symtab (and a .dynsym
// with the same symbols if asked) and the section header table.
std::string make_elf(const std::vector<FakeSymbol> &symbols,
                     bool with_dynsym = false) {
  auto [strings, table] = string_and_symbol_tables(symbols);
  std::string file(sizeof(Elf64_Ehdr), '\0');
  std::uint64_t strings_at = file.size();
  file += strings;
  file.resize((file.size() + 7) & ~std::size_t{7});
  std::uint64_t table_at = file.size();
  for (const auto &entry : table)
    file += bytes_of(entry);

  std::vector<Elf64_Shdr> sections(with_dynsym ? 4 : 3);
  sections[1] = {0, SHT_STRTAB, 0, 0, strings_at, strings.size(), 0, 0, 1, 0};
  sections[2] = {
      0, SHT_SYMTAB,       0, 0, table_at, file.size() - table_at, 1, 1,
      8, sizeof(Elf64_Sym)};
  if (with_dynsym) {
    sections[3] = sections[2];
    sections[3].sh_type = SHT_DYNSYM;
  }
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_EXEC;
  header.e_machine = EM_X86_64;
  header.e_version = EV_CURRENT;
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_shentsize = sizeof(Elf64_Shdr);
  header.e_shnum = sections.size();
  header.e_shoff = file.size();
  for (const auto &section : sections)
    file += bytes_of(section);
  file.replace(0, sizeof header, bytes_of(header));
  return file;
}

SymbolTable load_elf(const std::string &contents, std::uintptr_t bias = 0) {
  TempFile file(contents);
  return SymbolTable::load(file.path(), bias);
}

std::uintptr_t main_program_bias() {
  std::uintptr_t bias = 0;
  dl_iterate_phdr(
      [](dl_phdr_info *info, std::size_t, void *out) {
        *static_cast<std::uintptr_t *>(out) = info->dlpi_addr;
        return 1;
      },
      &bias);
  return bias;
}

TEST(SymbolTable, ConcurrentFirstUseAndLookups) {
  std::vector<std::thread> readers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        const auto &table = SymbolTable::executable();
        auto id = table.id_of(code(&add_two));
        if (!id || table.function(*id) != code(&add_two))
          ++failures;
      }
    });
  }
  for (auto &reader : readers)
    reader.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(SymbolTable, NamespaceFunctionRoundTrips) {
  const auto &table = SymbolTable::executable();
  EXPECT_GT(table.size(), 0u);
  auto id = table.id_of(code(&add_two));
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, fnv1a64("_ZN14nu_symbol_test7add_twoEi"));
  const void *function = table.function(*id);
  ASSERT_EQ(function, code(&add_two));
  EXPECT_EQ(as_function<int(int)>(function)(40), 42);
  EXPECT_EQ(table.describe(function), "nu_symbol_test::add_two(int)");
}

TEST(SymbolTable, LambdaInvokerRoundTrips) {
  const auto &table = SymbolTable::executable();
  int (*increment)(int) = +[](int x) { return x + 1; };
  int (*decrement)(int) = +[](int x) { return x - 1; };
  auto up = table.id_of(code(increment));
  auto down = table.id_of(code(decrement));
  ASSERT_TRUE(up);
  ASSERT_TRUE(down);
  EXPECT_NE(*up, *down);
  const void *function = table.function(*up);
  ASSERT_EQ(function, code(increment));
  EXPECT_EQ(as_function<int(int)>(function)(41), 42);
  EXPECT_EQ(as_function<int(int)>(table.function(*down))(43), 42);
  EXPECT_NE(table.describe(function).find("lambda"), std::string::npos)
      << table.describe(function);
}

TEST(SymbolTable, RefusesAddressesThatAreNoFunctionStart) {
  const auto &table = SymbolTable::executable();
  auto inside = reinterpret_cast<std::uintptr_t>(code(&add_two)) + 1;
  int on_stack = 0;
  EXPECT_FALSE(table.id_of(address(inside)));
  EXPECT_FALSE(table.id_of(&nu_symbol_test::data_value));
  EXPECT_FALSE(table.id_of(&on_stack));
  EXPECT_FALSE(table.id_of(nullptr));
  std::ostringstream expected;
  expected << "<unknown function 0x" << std::hex << inside << ">";
  EXPECT_EQ(table.describe(address(inside)), expected.str());
}

TEST(SymbolTable, UnknownIdGivesNull) {
  const auto &table = SymbolTable::executable();
  EXPECT_EQ(table.function(fnv1a64("_Z20no_such_function_xyzv")), nullptr);
  EXPECT_EQ(table.function(fnv1a64("_ZN14nu_symbol_test10data_valueE")),
            nullptr);
}

TEST(SymbolTable, StaticFunctionsOfTwoUnitsAreAmbiguous) {
  const auto &table = SymbolTable::executable();
  const void *here = nu_symbol_test::helper_in_this_unit();
  const void *peer = nu_symbol_test::helper_in_peer_unit();
  ASSERT_NE(here, peer);
  EXPECT_EQ(as_function<int()>(here)(), 1);
  EXPECT_EQ(as_function<int()>(peer)(), 2);
  EXPECT_EQ(table.describe(here), "nu_symbol_test::helper()");
  EXPECT_EQ(table.describe(peer), "nu_symbol_test::helper()");
  EXPECT_FALSE(table.id_of(here));
  EXPECT_FALSE(table.id_of(peer));
  EXPECT_EQ(table.function(fnv1a64("_ZN14nu_symbol_testL6helperEv")), nullptr);
}

TEST(SymbolTable, LoadMatchesExecutable) {
  auto table = SymbolTable::load("/proc/self/exe", main_program_bias());
  EXPECT_EQ(table.size(), SymbolTable::executable().size());
  auto id = table.id_of(code(&add_two));
  ASSERT_TRUE(id);
  EXPECT_EQ(table.function(*id), code(&add_two));
}

TEST(SymbolTable, ReadsFunctionSymbolsWithBias) {
  auto table = load_elf(make_elf({{"_Z3fooi", 0x1000},
                                  {"_Z3barv", 0x2000},
                                  {"object", 0x3000, STT_OBJECT},
                                  {"undefined", 0x4000, STT_FUNC, SHN_UNDEF},
                                  {"at_zero", 0}}),
                        0x10000);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.id_of(address(0x11000)), fnv1a64("_Z3fooi"));
  EXPECT_EQ(table.function(fnv1a64("_Z3barv")), address(0x12000));
  EXPECT_FALSE(table.id_of(address(0x1000)));
  EXPECT_FALSE(table.id_of(address(0x13000)));
  EXPECT_EQ(table.function(fnv1a64("object")), nullptr);
  EXPECT_EQ(table.function(fnv1a64("undefined")), nullptr);
  EXPECT_EQ(table.function(fnv1a64("at_zero")), nullptr);
  EXPECT_EQ(table.describe(address(0x11000)), "foo(int)");
  EXPECT_EQ(table.describe(address(0x12001)), "<unknown function 0x12001>");
}

TEST(SymbolTable, AliasesPickTheSmallestUniqueName) {
  auto table = load_elf(make_elf({{"b_alias", 0x1000},
                                  {"a_alias", 0x1000},
                                  {"c_alias", 0x1000},
                                  {"a_twice", 0x2000},
                                  {"a_twice", 0x3000},
                                  {"z_unique", 0x2000}}));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.id_of(address(0x1000)), fnv1a64("a_alias"));
  EXPECT_EQ(table.function(fnv1a64("b_alias")), address(0x1000));
  EXPECT_EQ(table.function(fnv1a64("c_alias")), address(0x1000));
  EXPECT_EQ(table.describe(address(0x1000)), "a_alias");
  EXPECT_EQ(table.id_of(address(0x2000)), fnv1a64("z_unique"));
  EXPECT_FALSE(table.id_of(address(0x3000)));
  EXPECT_EQ(table.function(fnv1a64("a_twice")), nullptr);
}

TEST(SymbolTable, RefusesAmbiguousNames) {
  auto table =
      load_elf(make_elf({{"_ZL6helperv", 0x1000}, {"_ZL6helperv", 0x2000}}));
  EXPECT_FALSE(table.id_of(address(0x1000)));
  EXPECT_FALSE(table.id_of(address(0x2000)));
  EXPECT_EQ(table.function(fnv1a64("_ZL6helperv")), nullptr);
  EXPECT_EQ(table.describe(address(0x2000)), "helper()");
}

TEST(SymbolTable, SameSymbolInSymtabAndDynsymIsNotAmbiguous) {
  auto table = load_elf(make_elf({{"_Z3fooi", 0x1000}}, true));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.id_of(address(0x1000)), fnv1a64("_Z3fooi"));
}

TEST(SymbolTable, UnreadableFilesGiveEmptyTables) {
  EXPECT_EQ(SymbolTable::load("/nonexistent/nu/file", 0).size(), 0u);
  EXPECT_EQ(SymbolTable::load(testing::TempDir(), 0).size(), 0u);
  EXPECT_EQ(load_elf("").size(), 0u);
  EXPECT_EQ(load_elf("#!/bin/sh\necho not an elf file\n").size(), 0u);
  EXPECT_EQ(load_elf(std::string(4096, '\0')).size(), 0u);
  EXPECT_EQ(load_elf(ELFMAG).size(), 0u);
}

// Every single-byte change and every prefix of a small ELF file loads
// without crashing (ASan checks every read).
TEST(SymbolTable, SurvivesEveryByteChangeAndTruncationOfASmallFile) {
  std::string good = make_elf({{"_Z3fooi", 0x1000}, {"_Z3barv", 0x2000}}, true);
  const std::size_t most = 2 * good.size() / sizeof(Elf64_Sym);
  TempFile file(good);
  ASSERT_EQ(SymbolTable::load(file.path(), 0).size(), 2u);
  for (std::size_t at = 0; at < good.size(); ++at) {
    for (unsigned char value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      file.patch(at, std::string(1, static_cast<char>(value)));
      EXPECT_LE(SymbolTable::load(file.path(), 0).size(), most) << at;
    }
    file.patch(at, good.substr(at, 1));
  }
  for (std::size_t size = good.size(); size-- > 0;) {
    file.truncate(size);
    EXPECT_LE(SymbolTable::load(file.path(), 0).size(), 2u) << size;
  }
}

TEST(SymbolTable, UnterminatedNameIsSkipped) {
  std::string good = make_elf({{"_Z3fooi", 0x1000}, {"_Z3barv", 0x2000}});
  // The last name ends at the last byte of the string table: overwrite its
  // terminating NUL.
  std::size_t end = good.find("_Z3barv") + std::strlen("_Z3barv");
  good[end] = 'x';
  auto table = load_elf(good);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.id_of(address(0x1000)), fnv1a64("_Z3fooi"));
}

// Corrupt copies of the test binary itself: truncated, a damaged header,
// damaged section headers, garbage in the symbol tables.
class CorruptExecutable : public testing::Test {
protected:
  void SetUp() override {
    image_ = read_file("/proc/self/exe");
    ASSERT_GE(image_.size(), sizeof(Elf64_Ehdr));
    std::memcpy(&header_, image_.data(), sizeof header_);
    ASSERT_EQ(header_.e_shentsize, sizeof(Elf64_Shdr));
    sections_.resize(header_.e_shnum);
    ASSERT_LE(header_.e_shoff + sections_.size() * sizeof(Elf64_Shdr),
              image_.size());
    std::memcpy(sections_.data(), image_.data() + header_.e_shoff,
                sections_.size() * sizeof(Elf64_Shdr));
    file_.write(image_);
    full_size_ = SymbolTable::load(file_.path(), 0).size();
    ASSERT_GT(full_size_, 0u);
  }

  // Loads the file with \p bytes written at \p offset, then restores it.
  std::size_t load_patched(std::uint64_t offset, const std::string &bytes) {
    file_.patch(offset, bytes);
    std::size_t size = SymbolTable::load(file_.path(), 0).size();
    file_.patch(offset, image_.substr(offset, bytes.size()));
    return size;
  }

  std::uint64_t field(std::size_t section, std::size_t field_offset) const {
    return header_.e_shoff + section * sizeof(Elf64_Shdr) + field_offset;
  }

  bool holds_symbols(const Elf64_Shdr &section) const {
    return section.sh_type == SHT_SYMTAB || section.sh_type == SHT_DYNSYM;
  }

  std::string image_;
  Elf64_Ehdr header_{};
  std::vector<Elf64_Shdr> sections_;
  TempFile file_;
  std::size_t full_size_ = 0;
};

TEST_F(CorruptExecutable, Truncated) {
  std::vector<std::uint64_t> sizes = {image_.size() - 1,
                                      header_.e_shoff + 100,
                                      header_.e_shoff + 1,
                                      header_.e_shoff,
                                      image_.size() / 2,
                                      4096,
                                      65,
                                      64,
                                      63,
                                      16,
                                      4,
                                      1,
                                      0};
  for (auto size : sizes) { // descending, so one copy serves
    file_.truncate(size);
    EXPECT_LE(SymbolTable::load(file_.path(), 0).size(), full_size_) << size;
  }
}

TEST_F(CorruptExecutable, DamagedHeader) {
  for (std::size_t at = 0; at < sizeof(Elf64_Ehdr); ++at) {
    bool identity = at < SELFMAG || at == EI_CLASS || at == EI_DATA;
    for (unsigned char flip : {0x01, 0xff}) {
      std::string byte(1, static_cast<char>(image_[at] ^ flip));
      std::size_t size = load_patched(at, byte);
      if (identity) {
        EXPECT_EQ(size, 0u) << at;
      }
    }
  }
}

TEST_F(CorruptExecutable, DamagedSectionHeaders) {
  const std::string huge(8, '\xff');
  const std::string near_end = bytes_of<std::uint64_t>(image_.size() - 8);
  for (std::size_t i = 0; i < sections_.size(); ++i) {
    // Any section read as a symbol table, linked to any string table.
    Elf64_Shdr as_symbols = sections_[i];
    as_symbols.sh_type = SHT_SYMTAB;
    as_symbols.sh_entsize = sizeof(Elf64_Sym);
    as_symbols.sh_link = (i * 7) % sections_.size();
    load_patched(field(i, 0), bytes_of(as_symbols));
    if (!holds_symbols(sections_[i]) && sections_[i].sh_type != SHT_STRTAB)
      continue;
    EXPECT_LE(load_patched(field(i, offsetof(Elf64_Shdr, sh_link)),
                           huge.substr(0, 4)),
              full_size_);
    for (std::size_t at :
         {offsetof(Elf64_Shdr, sh_offset), offsetof(Elf64_Shdr, sh_size),
          offsetof(Elf64_Shdr, sh_entsize)}) {
      EXPECT_LE(load_patched(field(i, at), huge), full_size_);
      load_patched(field(i, at), near_end);
    }
  }
}

TEST_F(CorruptExecutable, GarbageInSymbolTables) {
  std::mt19937_64 random(42);
  for (const auto &section : sections_) {
    if (!holds_symbols(section) || section.sh_size == 0)
      continue;
    for (int i = 0; i < 64; ++i) {
      std::uint64_t at = section.sh_offset + random() % section.sh_size;
      std::string bytes = bytes_of(random());
      bytes.resize(std::min<std::uint64_t>(bytes.size(), image_.size() - at));
      EXPECT_LE(load_patched(at, bytes), full_size_ + 8);
    }
  }
}

} // namespace
} // namespace nu::detail
