// How exceptions cross a proclet boundary: any exception thrown by user
// code becomes a nu::RemoteError keeping its type name and message; and
// how the runtime's internal failures become nu::Error.
#include "Errors.hpp"
#include "Demangle.hpp"
#include "nu/detail/node_api.hpp"
#include "nu/errors.hpp"

#include <cstdlib>
#include <cxxabi.h>
#include <memory>
#include <typeinfo>

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

std::exception_ptr as_remote_error(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const RemoteError &) {
    return std::current_exception();
  } catch (const std::exception &e) {
    return std::make_exception_ptr(
        RemoteError(demangle(typeid(e).name()), e.what()));
  } catch (...) {
    const std::type_info *t = abi::__cxa_current_exception_type();
    return std::make_exception_ptr(RemoteError(
        t ? demangle(t->name()) : "unknown", "a non-standard exception"));
  }
}

} // namespace nu::detail
