// Dispatch: finding a request's command (any case), checking its arity,
// and turning a failure into an error reply like Redis's.
#include "Commands.hpp"

#include "Cluster.hpp"

#include <nu/runtime.hpp>

#include <algorithm>
#include <cctype>
#include <exception>
#include <unordered_map>

namespace kv {
namespace {

using Table = std::unordered_map<std::string_view, const CommandSpec *>;

const Table &table() {
  static const Table commands = [] {
    Table t;
    for (const CommandSpec *spec : all_commands())
      t.emplace(spec->name, spec);
    return t;
  }();
  return commands;
}

const CommandSpec *find(std::string_view name) {
  char lower[32];
  if (name.size() > sizeof lower)
    return nullptr;
  std::transform(name.begin(), name.end(), lower, [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  });
  auto it = table().find(std::string_view(lower, name.size()));
  return it == table().end() ? nullptr : it->second;
}

void reply_unknown(RespWriter &out, const std::vector<std::string_view> &args) {
  std::string message = "ERR unknown command '" +
                        std::string(args[0].substr(0, 128)) +
                        "', with args beginning with: ";
  std::string quoted;
  for (std::size_t i = 1; i < args.size() && quoted.size() < 128; ++i)
    quoted += "'" + std::string(args[i].substr(0, 128 - quoted.size())) + "' ";
  out.error(message + quoted);
}

bool arity_ok(const CommandSpec &spec, std::size_t argc) {
  auto n = static_cast<std::size_t>(spec.arity < 0 ? -spec.arity : spec.arity);
  return spec.arity < 0 ? argc >= n : argc == n;
}

} // namespace

const std::vector<const CommandSpec *> &all_commands() {
  static const std::vector<const CommandSpec *> all = [] {
    std::vector<const CommandSpec *> v;
    for (const auto *group :
         {&string_commands(), &server_commands(), &cluster_commands()})
      for (const CommandSpec &spec : *group)
        v.push_back(&spec);
    return v;
  }();
  return all;
}

Session::Session(Store store, ServerInfo &info)
    : store_(std::move(store)), info_(info), node_(nu::this_node()),
      authenticated_(!info.password.required()) {
  ++info_.clients;
}

Session::~Session() { --info_.clients; }

bool Session::remote_shards() const {
  return std::any_of(
      store_.shards().begin(), store_.shards().end(),
      [&](const auto &shard) { return shard.location() != node_; });
}

/// Without --cluster a client may reach any shard, so it is slow once some
/// shard is elsewhere. With it, its keys are served here or redirected: it
/// is slow once a request did reach another node.
bool Session::slow() {
  if (!slow_ && !info_.cluster) // a few relaxed loads, once per batch
    slow_ = remote_shards();
  return slow_;
}

void Session::execute(const std::vector<std::string_view> &args,
                      RespWriter &out) {
  const CommandSpec *spec = find(args[0]);
  if (!spec)
    return reply_unknown(out, args);
  if (!arity_ok(*spec, args.size()))
    return reply_arity(out, spec->name);
  if (!authenticated_ && spec->name != "auth" && spec->name != "quit")
    return out.error("NOAUTH Authentication required.");
  if (info_.cluster) {
    Route to = route(store_, node_, spec->keys, args);
    if (!to.redirect.empty()) {
      info_.redirects += to.redirect.starts_with("MOVED");
      return out.error(to.redirect);
    }
    slow_ = slow_ || to.remote || (spec->all_shards && remote_shards());
  }
  std::size_t mark = out.buffer().size();
  try {
    Call call{args, out, *this};
    spec->run(call);
  } catch (const std::exception &e) {
    out.buffer().resize(mark); // no half reply
    out.error(std::string("ERR nu: ") + e.what());
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void reply_not_integer(RespWriter &out) {
  out.error("ERR value is not an integer or out of range");
}

void reply_syntax_error(RespWriter &out) { out.error("ERR syntax error"); }

void reply_arity(RespWriter &out, std::string_view command) {
  out.error("ERR wrong number of arguments for '" + std::string(command) +
            "' command");
}

} // namespace kv
