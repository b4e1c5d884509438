// Loading transport plugins: dlopen, checking the entry point's description,
// and an adapter that keeps the library loaded while its objects live.
#include "nu/net/plugin.hpp"

#include "nu/transport_plugin.h"

#include <dlfcn.h>

#include <cstring>
#include <filesystem>
#include <string>

namespace nu::net {
namespace {

using detail::Failure;

Failure failure(std::errc code, std::string message) {
  return {std::make_error_code(code), std::move(message)};
}

// One dlopen-ed library, dlclose-d when its last owner lets go.
class Library {
public:
  explicit Library(void *handle) : handle_(handle) {}
  ~Library() { dlclose(handle_); }
  Library(const Library &) = delete;
  Library &operator=(const Library &) = delete;

  void *symbol(const char *name) const { return dlsym(handle_, name); }

private:
  void *handle_;
};

using LibraryPtr = std::shared_ptr<const Library>;

// The same connection (equal pointer, so == still identifies it), owning a
// reference to the library: its code stays loaded until the last copy goes.
std::shared_ptr<Connection> pin(const LibraryPtr &library,
                                std::shared_ptr<Connection> connection) {
  struct Pinned {
    LibraryPtr library; // released after the connection (declared first)
    std::shared_ptr<Connection> connection;
  };
  if (!connection)
    return connection;
  auto pinned =
      std::make_shared<Pinned>(Pinned{library, std::move(connection)});
  return {pinned, pinned->connection.get()};
}

// Handlers that hand the program pinned connections.
Handlers pin(const LibraryPtr &library, Handlers handlers) {
  using ConnectionPtr = std::shared_ptr<Connection>;
  if (auto on_frame = std::move(handlers.on_frame))
    handlers.on_frame = [library, on_frame](const ConnectionPtr &connection,
                                            Bytes frame) {
      on_frame(pin(library, connection), std::move(frame));
    };
  if (auto on_close = std::move(handlers.on_close))
    handlers.on_close = [library, on_close](const ConnectionPtr &connection,
                                            std::error_code error) {
      on_close(pin(library, connection), error);
    };
  return handlers;
}

// A transport made by a plugin, keeping the plugin loaded while it lives.
class PluginTransport final : public Transport {
public:
  PluginTransport(LibraryPtr library, std::unique_ptr<Transport> inner)
      : library_(std::move(library)), inner_(std::move(inner)) {}

  std::string_view name() const override { return inner_->name(); }

  Expected<std::string> listen(const std::string &address,
                               Handlers handlers) override {
    return inner_->listen(address, pin(library_, std::move(handlers)));
  }

  Expected<std::shared_ptr<Connection>> connect(const std::string &address,
                                                Handlers handlers) override {
    auto connection =
        inner_->connect(address, pin(library_, std::move(handlers)));
    if (!connection)
      return connection.failure();
    return pin(library_, std::move(*connection));
  }

  void shutdown() override { inner_->shutdown(); }

private:
  LibraryPtr library_; // closed after inner_ is destroyed (declared first)
  std::unique_ptr<Transport> inner_;
};

Expected<LibraryPtr> open_library(const std::string &path) {
  dlerror(); // clears an earlier error
  if (void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL))
    return std::make_shared<const Library>(handle);
  const char *why = dlerror();
  std::error_code ignored;
  bool missing = path.find('/') != std::string::npos &&
                 !std::filesystem::exists(path, ignored);
  return failure(missing ? std::errc::no_such_file_or_directory
                         : std::errc::invalid_argument,
                 "cannot load transport plugin '" + path +
                     "': " + (why ? why : "unknown dlopen error"));
}

const nu_transport_plugin *find_entry_point(const Library &library) {
  using EntryPoint = const nu_transport_plugin *(*)();
  void *symbol = library.symbol(NU_TRANSPORT_PLUGIN_ENTRY_POINT);
  return symbol ? reinterpret_cast<EntryPoint>(symbol)() : nullptr;
}

// The plugin's description, if it is one this runtime can use.
Expected<const nu_transport_plugin *> describe(const Library &library,
                                               const std::string &path) {
  const nu_transport_plugin *plugin = find_entry_point(library);
  if (!plugin)
    return failure(std::errc::invalid_argument,
                   "'" + path + "' is not a nu transport plugin: no symbol " +
                       NU_TRANSPORT_PLUGIN_ENTRY_POINT);
  if (plugin->abi_version != NU_TRANSPORT_PLUGIN_ABI)
    return failure(std::errc::not_supported,
                   "'" + path + "' was built for plugin ABI " +
                       std::to_string(plugin->abi_version) +
                       ", this runtime speaks " +
                       std::to_string(NU_TRANSPORT_PLUGIN_ABI));
  const char *version = plugin->nu_version ? plugin->nu_version : "(none)";
  if (std::strcmp(version, NU_VERSION_STRING) != 0)
    return failure(std::errc::not_supported,
                   "'" + path + "' was built for nu " + version +
                       ", this runtime is nu " + NU_VERSION_STRING);
  if (!plugin->name || !plugin->create)
    return failure(std::errc::invalid_argument,
                   "'" + path + "' is not a valid nu transport plugin: " +
                       "its name or create function is null");
  return plugin;
}

} // namespace

bool is_plugin_path(std::string_view name) {
  return name.find('/') != std::string_view::npos || name.ends_with(".so");
}

Expected<std::unique_ptr<Transport>>
load_transport_plugin(std::string_view path_view,
                      const TransportOptions &options) {
  std::string path(path_view);
  auto library = open_library(path);
  if (!library)
    return library.failure();
  auto plugin = describe(**library, path);
  if (!plugin)
    return plugin.failure();
  void *made = (*plugin)->create(&options);
  if (!made)
    return failure(std::errc::io_error,
                   "transport plugin '" + std::string((*plugin)->name) +
                       "' ('" + path + "') failed to create a transport");
  std::unique_ptr<Transport> inner(static_cast<Transport *>(made));
  return std::unique_ptr<Transport>(
      std::make_unique<PluginTransport>(*library, std::move(inner)));
}

} // namespace nu::net
