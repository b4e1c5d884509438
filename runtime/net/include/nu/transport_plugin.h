/* The C entry point a transport plugin (a shared object loaded by nu at run
 * time) exports, and a C++ macro that defines it. */
#ifndef NU_TRANSPORT_PLUGIN_H
#define NU_TRANSPORT_PLUGIN_H

#include <stdint.h>

/*
 * A transport plugin is a shared object (".so") exporting one C function,
 * nu_transport_plugin_v1, that returns a description of the plugin. nu loads
 * it when a transport name contains a '/' or ends in ".so" (e.g.
 * --nu-transport ./libmytransport.so): dlopen(RTLD_NOW | RTLD_LOCAL), then
 * the entry point, then abi_version and nu_version are checked, then create
 * makes the transport. The library stays loaded while anything it made (the
 * transport, its connections) is alive.
 *
 * The description is plain C, but the transport it creates is a C++ object
 * (nu::net::Transport, <nu/net/transport.hpp>): a plugin must be built
 * with the same compiler, standard library and nu version as the program
 * loading it. nu refuses a plugin built for another nu version.
 *
 * Plugins should export nothing but the entry point (-fvisibility=hidden or
 * a version script), so that their copies of nu's code never interpose on
 * the program's.
 */

/** The layout of struct nu_transport_plugin this runtime understands. */
#define NU_TRANSPORT_PLUGIN_ABI 1

/** The nu version this header belongs to (CMake checks it). */
#define NU_VERSION_STRING "0.1.0"

/** The name of the entry point, for dlsym. */
#define NU_TRANSPORT_PLUGIN_ENTRY_POINT "nu_transport_plugin_v1"

#ifdef __cplusplus
extern "C" {
#endif

/** What a plugin's entry point returns; static, never freed. */
struct nu_transport_plugin {
  /** Must be NU_TRANSPORT_PLUGIN_ABI; the first field in every ABI. */
  uint32_t abi_version;
  /** The transport's name, for messages (e.g. "shm"). */
  const char *name;
  /** NU_VERSION_STRING of the nu the plugin was built against. */
  const char *nu_version;
  /** Takes a const nu::net::TransportOptions *, returns a heap-allocated
   * nu::net::Transport * that nu deletes, or NULL on failure. */
  void *(*create)(const void *options);
};

/** The entry point every transport plugin exports. */
const struct nu_transport_plugin *nu_transport_plugin_v1(void);

#ifdef __cplusplus
} /* extern "C" */

/**
 * Defines the entry point of a plugin called \p plugin_name (a string
 * literal) whose transports \p factory_function makes: a function
 * std::unique_ptr<nu::net::Transport>(const nu::net::TransportOptions &),
 * declared before the macro is used (include net/Transport.hpp). An
 * exception from it becomes a NULL result.
 */
#define NU_DEFINE_TRANSPORT_PLUGIN(plugin_name, factory_function)              \
  extern "C" __attribute__((visibility("default")))                            \
  const struct nu_transport_plugin *                                           \
  nu_transport_plugin_v1(void) {                                               \
    static const struct nu_transport_plugin plugin = {                         \
        NU_TRANSPORT_PLUGIN_ABI, plugin_name, NU_VERSION_STRING,               \
        +[](const void *options) noexcept -> void * {                          \
          try {                                                                \
            return factory_function(                                           \
                       *static_cast<const ::nu::net::TransportOptions *>(      \
                           options))                                           \
                .release();                                                    \
          } catch (...) {                                                      \
            return nullptr;                                                    \
          }                                                                    \
        }};                                                                    \
    return &plugin;                                                            \
  }

#endif /* __cplusplus */

#endif /* NU_TRANSPORT_PLUGIN_H */
