// The Redis commands nu-kvstore serves: a table of name, arity and handler,
// run one request at a time against the map on behalf of a connection.
#pragma once

#include "Backups.hpp"
#include "Connection.hpp"
#include "Password.hpp"
#include "Resp.hpp"
#include "Store.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

/// What a server tells its clients about itself (INFO, CONFIG GET).
struct ServerInfo {
  std::string host;
  int port = 0;
  std::int64_t started_ms = 0;
  std::atomic<std::size_t> clients{0};
  std::size_t max_clients = Limits().max_clients;
  std::atomic<std::size_t> threaded_clients{0}; ///< so far
  Password password;                            ///< requirepass
  bool cluster = false;                         ///< --cluster
  std::atomic<std::uint64_t> redirects{0};      ///< MOVED replies so far
  BackupCache backups; ///< of the shards, for CLUSTER SLOTS and SHARDS
};

/// One connection's state; commands run through it one at a time.
class Session : public Handler {
public:
  /// A client of the server described by \p info (counted there).
  Session(Store store, ServerInfo &info);
  ~Session() override;

  /// Runs one request (\p args not empty) and appends its reply to \p out.
  /// A failure of nu (a shard unreachable, ...) becomes an error reply.
  void execute(const std::vector<std::string_view> &args,
               RespWriter &out) override;

  /// True once QUIT ran: the connection closes after the reply.
  bool quit() const override { return quit_; }
  /// True once some shard of the map is on another node: requests may
  /// then wait for replies from there.
  bool slow() override;

private:
  friend struct Call;

  Store store_;
  ServerInfo &info_;
  nu::NodeId node_;
  bool remote_shards() const;

  bool quit_ = false;
  bool slow_ = false;
  bool authenticated_; // AUTH ran, or no password was needed at connect
  std::string key_;    // scratch, to avoid an allocation per request
};

/// The request a handler serves, and where its reply goes.
struct Call {
  const std::vector<std::string_view> &args;
  RespWriter &out;
  Session &session;

  Store &store() { return session.store_; }
  ServerInfo &info() { return session.info_; }
  Password &password() { return session.info_.password; }
  void quit() { session.quit_ = true; }
  void authenticated() { session.authenticated_ = true; }
  /// args[i] as a key (valid until the next key() call).
  const std::string &key(std::size_t i) {
    return session.key_.assign(args[i].data(), args[i].size());
  }
};

/// Which arguments of a command are keys, as COMMAND reports them: from
/// `first` to `last` (negative: counted from the end, -1 the last) every
/// `step`; `first` 0 for a command without keys.
struct KeySpec {
  int first = 0;
  int last = 0;
  int step = 0;
};

/// A command: \p arity counts the name; negative means at least -arity.
struct CommandSpec {
  std::string_view name;
  int arity;
  void (*run)(Call &);
  KeySpec keys = {};
  bool writes = false;     ///< changes keys (COMMAND's "write" flag)
  bool all_shards = false; ///< calls every shard (DBSIZE, FLUSHALL, INFO)
};

/// The handlers, by group (StringCommands.cpp, ServerCommands.cpp,
/// ClusterCommands.cpp).
const std::vector<CommandSpec> &string_commands();
const std::vector<CommandSpec> &server_commands();
const std::vector<CommandSpec> &cluster_commands();
/// Every command, in the order of the groups above (COMMAND's reply).
const std::vector<const CommandSpec *> &all_commands();

/// \p s in lower case (command and subcommand names).
std::string lower(std::string_view s);

/// Replies shared by the handlers.
void reply_not_integer(RespWriter &out);
void reply_syntax_error(RespWriter &out);
void reply_arity(RespWriter &out, std::string_view command);

} // namespace kv
