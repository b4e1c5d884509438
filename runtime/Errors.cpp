// How exceptions cross a proclet boundary: an exception thrown by user
// code becomes a nu::RemoteError keeping its type name and message, unless
// its type is registered (then it stays itself); and
// how the runtime's internal failures become nu::Error.
#include "Errors.hpp"
#include "Demangle.hpp"
#include "nu/detail/node_api.hpp"
#include "nu/errors.hpp"

#include <cstdlib>
#include <cxxabi.h>
#include <memory>
#include <shared_mutex>
#include <string>
#include <typeinfo>
#include <unordered_map>

namespace nu::detail {

std::string demangle(const char *mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void *)> out(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(mangled);
}

void raise(std::string_view context, const Failure &failure) {
  std::string text = "nu: ";
  if (!context.empty())
    text.append(context).append(": ");
  throw Error(text + failure.message);
}

namespace {

// The program's registered exception types, by demangled name: one table
// for the process (the types are the program's, the same on every node).
struct ExceptionTable {
  std::shared_mutex mu;
  std::unordered_map<std::string, ExceptionThrower> throwers;
};

ExceptionTable &exception_table() {
  static ExceptionTable table;
  return table;
}

} // namespace

void register_exception(const std::type_info &type, ExceptionThrower thrower) {
  auto &table = exception_table();
  std::unique_lock lock(table.mu);
  table.throwers[demangle(type.name())] = thrower;
}

// The thrower registered for \p type_name, or null.
static ExceptionThrower find_thrower(const std::string &type_name) {
  auto &table = exception_table();
  std::shared_lock lock(table.mu);
  auto it = table.throwers.find(type_name);
  return it == table.throwers.end() ? nullptr : it->second;
}

bool is_registered(const std::type_info &type) {
  return find_thrower(demangle(type.name())) != nullptr;
}

void throw_registered(const std::string &type_name, const std::string &what) {
  if (ExceptionThrower thrower = find_thrower(type_name))
    thrower(what);
}

// A registered type stays itself on the local path too.
std::exception_ptr as_remote_error(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const RemoteError &) {
    return std::current_exception();
  } catch (const std::exception &e) {
    if (is_registered(typeid(e)))
      return std::current_exception();
    return std::make_exception_ptr(
        RemoteError(demangle(typeid(e).name()), e.what()));
  } catch (...) {
    const std::type_info *t = abi::__cxa_current_exception_type();
    return std::make_exception_ptr(RemoteError(
        t ? demangle(t->name()) : "unknown", "a non-standard exception"));
  }
}

} // namespace nu::detail
