// Reads the function symbols of an ELF64 file (.symtab and .dynsym) into
// sorted tables: address -> id and name, id -> address.
#include "SymbolTable.hpp"

#include "nu/detail/hash.hpp"

#include <cxxabi.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <tuple>
#include <vector>

namespace nu::detail {
namespace {

// True if [offset, offset + count * size) lies within a file of file_size.
bool in_bounds(std::uint64_t offset, std::uint64_t count, std::uint64_t size,
               std::uint64_t file_size) {
  if (offset > file_size)
    return false;
  if (size != 0 && count > (file_size - offset) / size)
    return false;
  return true;
}

// A regular file read by offset; only the parts needed are read, so the
// debug information of a large binary is never touched.
class File {
public:
  explicit File(const std::string &path)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    struct stat st {};
    if (fd_ >= 0 && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode))
      size_ = static_cast<std::uint64_t>(st.st_size);
  }
  ~File() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  File(const File &) = delete;
  File &operator=(const File &) = delete;

  // Reads [offset, offset + size) into \p out; false if out of bounds.
  bool read(std::uint64_t offset, std::uint64_t size, void *out) const {
    if (!in_bounds(offset, size, 1, size_))
      return false;
    auto *at = static_cast<char *>(out);
    while (size > 0) {
      ssize_t got = ::pread(fd_, at, size, static_cast<off_t>(offset));
      if (got <= 0)
        return false;
      at += got;
      offset += static_cast<std::uint64_t>(got);
      size -= static_cast<std::uint64_t>(got);
    }
    return true;
  }

  // The bytes [offset, offset + size), or empty if out of bounds.
  std::string read(std::uint64_t offset, std::uint64_t size) const {
    if (!in_bounds(offset, size, 1, size_))
      return {};
    std::string bytes(size, '\0');
    return read(offset, size, bytes.data()) ? bytes : std::string();
  }

  // The bytes of \p count items of \p size each, or empty.
  std::string read(std::uint64_t offset, std::uint64_t count,
                   std::uint64_t size) const {
    if (!in_bounds(offset, count, size, size_))
      return {};
    return read(offset, count * size);
  }

  template <typename T> bool read(std::uint64_t offset, T &out) const {
    return read(offset, sizeof(T), &out);
  }

private:
  int fd_;
  std::uint64_t size_ = 0;
};

struct Symbol {
  std::uint64_t id; // fnv1a64 of the name
  std::string name;
  std::uintptr_t address;
  bool usable = false; // the id names this one function only
};

// The parts of an ELF64 file that symbols are read from.
class ElfReader {
public:
  explicit ElfReader(const File &file) : file_(file) {}

  bool read_header() {
    if (!file_.read(0, header_))
      return false;
    if (std::memcmp(header_.e_ident, ELFMAG, SELFMAG) != 0 ||
        header_.e_ident[EI_CLASS] != ELFCLASS64 ||
        header_.e_ident[EI_DATA] != host_data_encoding())
      return false;
    if (header_.e_shoff == 0 || header_.e_shentsize != sizeof(Elf64_Shdr))
      return false;
    std::uint64_t count = header_.e_shnum;
    if (count == 0) { // extended numbering: the count is in section 0
      Elf64_Shdr first;
      if (!file_.read(header_.e_shoff, first))
        return false;
      count = first.sh_size;
    }
    std::string table = file_.read(header_.e_shoff, count, sizeof(Elf64_Shdr));
    if (table.empty())
      return false;
    sections_.resize(table.size() / sizeof(Elf64_Shdr));
    std::memcpy(sections_.data(), table.data(), table.size());
    return true;
  }

  void read_functions(std::uintptr_t bias, std::vector<Symbol> &out) const {
    for (const Elf64_Shdr &section : sections_) {
      if (section.sh_type == SHT_SYMTAB || section.sh_type == SHT_DYNSYM)
        read_symbols(section, bias, out);
    }
  }

private:
  static unsigned char host_data_encoding() {
    return std::endian::native == std::endian::little ? ELFDATA2LSB
                                                      : ELFDATA2MSB;
  }

  // The bytes of a string table section, or empty if it is unusable.
  std::string string_table(std::uint64_t index) const {
    if (index >= sections_.size() || sections_[index].sh_type != SHT_STRTAB)
      return {};
    return file_.read(sections_[index].sh_offset, sections_[index].sh_size);
  }

  void read_symbols(const Elf64_Shdr &table, std::uintptr_t bias,
                    std::vector<Symbol> &out) const {
    if (table.sh_entsize != sizeof(Elf64_Sym))
      return;
    std::uint64_t count = table.sh_size / sizeof(Elf64_Sym);
    std::string entries = file_.read(table.sh_offset, count, sizeof(Elf64_Sym));
    std::string names = string_table(table.sh_link);
    if (entries.empty() || names.empty())
      return;
    for (std::uint64_t i = 0; i < count; ++i) {
      Elf64_Sym sym;
      std::memcpy(&sym, entries.data() + i * sizeof(Elf64_Sym), sizeof sym);
      std::string_view name = symbol_name(names, sym.st_name);
      if (is_function(sym) && !name.empty())
        out.push_back({fnv1a64(name), std::string(name), bias + sym.st_value});
    }
  }

  static bool is_function(const Elf64_Sym &sym) {
    return ELF64_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_value != 0 &&
           sym.st_shndx != SHN_UNDEF;
  }

  // The NUL-terminated name at \p offset, or empty if it runs off the table.
  static std::string_view symbol_name(std::string_view names,
                                      std::uint64_t offset) {
    if (offset >= names.size())
      return {};
    std::string_view rest = names.substr(offset);
    std::size_t end = rest.find('\0');
    return end == std::string_view::npos ? std::string_view{}
                                         : rest.substr(0, end);
  }

  const File &file_;
  Elf64_Ehdr header_{};
  std::vector<Elf64_Shdr> sections_;
};

struct AddressEntry {
  std::uintptr_t address;
  std::uint32_t name; // index into names: the smallest name there
  bool has_id;
  std::uint64_t id; // of the smallest name there that is unique
};

struct IdEntry {
  std::uint64_t id;
  std::uintptr_t address;
};

std::string demangle(const std::string &name) {
  int status = 0;
  char *text = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || !text)
    return name;
  std::string result(text);
  std::free(text);
  return result;
}

// Sorts \p symbols by id, drops duplicates (the same symbol in .symtab and
// .dynsym) and marks as usable each one whose id no other symbol has: a name
// at several addresses, or two names with one hash, is refused.
void mark_usable(std::vector<Symbol> &symbols) {
  std::sort(symbols.begin(), symbols.end(), [](const auto &a, const auto &b) {
    return std::tie(a.id, a.name, a.address) <
           std::tie(b.id, b.name, b.address);
  });
  auto same = [](const Symbol &a, const Symbol &b) {
    return a.address == b.address && a.name == b.name;
  };
  symbols.erase(std::unique(symbols.begin(), symbols.end(), same),
                symbols.end());
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    bool alone =
        (i == 0 || symbols[i - 1].id != symbols[i].id) &&
        (i + 1 == symbols.size() || symbols[i + 1].id != symbols[i].id);
    symbols[i].usable = alone;
  }
}

int find_main_program(dl_phdr_info *info, std::size_t, void *data) {
  *static_cast<std::uintptr_t *>(data) = info->dlpi_addr;
  return 1; // the first entry is the main program
}

std::uintptr_t main_program_bias() {
  std::uintptr_t bias = 0;
  dl_iterate_phdr(find_main_program, &bias);
  return bias;
}

} // namespace

struct SymbolTable::Impl {
  std::vector<std::string> names;
  std::vector<AddressEntry> by_address; // sorted by address
  std::vector<IdEntry> by_id;           // sorted by id

  void build(std::vector<Symbol> symbols);
  void add_by_address(const Symbol &symbol);
  const AddressEntry *at(const void *function) const;
};

void SymbolTable::Impl::build(std::vector<Symbol> symbols) {
  mark_usable(symbols);
  for (const Symbol &symbol : symbols) {
    if (symbol.usable)
      by_id.push_back({symbol.id, symbol.address});
  }
  // Within one address (aliases), the lexicographically smallest name wins.
  std::sort(symbols.begin(), symbols.end(), [](const auto &a, const auto &b) {
    return std::tie(a.address, a.name) < std::tie(b.address, b.name);
  });
  for (const Symbol &symbol : symbols)
    add_by_address(symbol);
}

void SymbolTable::Impl::add_by_address(const Symbol &symbol) {
  if (by_address.empty() || by_address.back().address != symbol.address) {
    auto name = static_cast<std::uint32_t>(names.size());
    by_address.push_back({symbol.address, name, false, 0});
    names.push_back(symbol.name);
  }
  AddressEntry &entry = by_address.back();
  if (symbol.usable && !entry.has_id) {
    entry.has_id = true;
    entry.id = symbol.id;
  }
}

const AddressEntry *SymbolTable::Impl::at(const void *function) const {
  auto address = reinterpret_cast<std::uintptr_t>(function);
  auto it = std::lower_bound(
      by_address.begin(), by_address.end(), address,
      [](const AddressEntry &e, std::uintptr_t a) { return e.address < a; });
  if (it == by_address.end() || it->address != address)
    return nullptr;
  return &*it;
}

const SymbolTable &SymbolTable::executable() {
  static const SymbolTable table = load("/proc/self/exe", main_program_bias());
  return table;
}

SymbolTable SymbolTable::load(const std::string &path,
                              std::uintptr_t load_bias) {
  SymbolTable table;
  File file(path);
  ElfReader reader(file);
  if (!reader.read_header())
    return table;
  std::vector<Symbol> symbols;
  reader.read_functions(load_bias, symbols);
  table.impl_->build(std::move(symbols));
  return table;
}

std::optional<std::uint64_t> SymbolTable::id_of(const void *function) const {
  const AddressEntry *entry = impl_->at(function);
  if (!entry || !entry->has_id)
    return std::nullopt;
  return entry->id;
}

const void *SymbolTable::function(std::uint64_t id) const {
  const auto &ids = impl_->by_id;
  auto it = std::lower_bound(
      ids.begin(), ids.end(), id,
      [](const IdEntry &e, std::uint64_t value) { return e.id < value; });
  if (it == ids.end() || it->id != id)
    return nullptr;
  return reinterpret_cast<const void *>(it->address);
}

std::string SymbolTable::describe(const void *function) const {
  if (const AddressEntry *entry = impl_->at(function))
    return demangle(impl_->names[entry->name]);
  char text[48];
  std::snprintf(text, sizeof text, "<unknown function 0x%" PRIxPTR ">",
                reinterpret_cast<std::uintptr_t>(function));
  return text;
}

std::size_t SymbolTable::size() const { return impl_->by_address.size(); }

SymbolTable::SymbolTable() : impl_(std::make_unique<Impl>()) {}
SymbolTable::SymbolTable(SymbolTable &&) noexcept = default;
SymbolTable::~SymbolTable() = default;

} // namespace nu::detail
