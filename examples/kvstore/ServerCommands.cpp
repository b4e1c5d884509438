// Connection and server commands: PING, ECHO, QUIT, SELECT, COMMAND, AUTH,
// DBSIZE, FLUSHALL/FLUSHDB, INFO, CONFIG (GET; SET nu-mem-limit/requirepass).
#include "Commands.hpp"
#include "Info.hpp"
#include "Keyspace.hpp"
#include "Numbers.hpp"

#include <nu/runtime.hpp>

#include <algorithm>
#include <cctype>

namespace kv {
namespace {

void ping(Call &c) {
  if (c.args.size() > 2)
    return reply_arity(c.out, "ping");
  return c.args.size() == 2 ? c.out.bulk(c.args[1]) : c.out.simple("PONG");
}

void echo(Call &c) { c.out.bulk(c.args[1]); }

void quit(Call &c) {
  c.quit();
  c.out.simple("OK");
}

void select(Call &c) {
  auto n = parse_int64(c.args[1]);
  if (!n)
    return reply_not_integer(c.out);
  if (*n != 0)
    return c.out.error("ERR DB index is out of range");
  c.out.simple("OK");
}

/// One command as COMMAND describes it: name, arity, flags, first key,
/// last key, step (what cluster clients read to find a request's keys).
void describe(RespWriter &out, const CommandSpec &spec) {
  out.array(6);
  out.bulk(spec.name);
  out.integer(spec.arity);
  out.array(1);
  out.simple(spec.writes ? "write" : spec.keys.first ? "readonly" : "fast");
  out.integer(spec.keys.first);
  out.integer(spec.keys.last);
  out.integer(spec.keys.step);
}

/// COMMAND, COMMAND COUNT, COMMAND INFO name...
void command(Call &c) {
  const auto &all = all_commands();
  std::string sub = c.args.size() > 1 ? lower(c.args[1]) : "";
  if (sub.empty()) {
    c.out.array(all.size());
    for (const CommandSpec *spec : all)
      describe(c.out, *spec);
  } else if (sub == "count" && c.args.size() == 2) {
    c.out.integer(static_cast<std::int64_t>(all.size()));
  } else if (sub == "info") {
    c.out.array(c.args.size() - 2);
    for (std::size_t i = 2; i < c.args.size(); ++i) {
      auto it = std::find_if(all.begin(), all.end(), [&](const auto *spec) {
        return spec->name == lower(c.args[i]);
      });
      it == all.end() ? c.out.null_array() : describe(c.out, **it);
    }
  } else {
    c.out.error("ERR unknown subcommand '" + std::string(c.args[1]) +
                "'. Try COMMAND HELP.");
  }
}

void dbsize(Call &c) {
  c.out.integer(
      static_cast<std::int64_t>(count_keys(c.store(), now_ms()).keys));
}

void flushall(Call &c) {
  if (c.args.size() > 2 || (c.args.size() == 2 && lower(c.args[1]) != "sync" &&
                            lower(c.args[1]) != "async"))
    return reply_syntax_error(c.out);
  c.store().Clear();
  c.out.simple("OK");
}

void info(Call &c) {
  if (c.args.size() > 2)
    return reply_syntax_error(c.out);
  c.out.bulk(info_text(c, c.args.size() == 2 ? lower(c.args[1]) : "default"));
}

/// CONFIG GET's parameters and their values on this node.
std::vector<std::pair<std::string, std::string>> parameters(Call &c) {
  return {{"save", ""},
          {"appendonly", "no"},
          {"databases", "1"},
          {"maxclients", "10000"},
          {"bind", c.info().host},
          {"port", std::to_string(c.info().port)},
          {"nu-shards", std::to_string(c.store().shard_count())},
          {"nu-mem-limit", std::to_string(nu::node_stats().mem_limit)},
          {"requirepass", c.password().get()}};
}

void config_get(Call &c) {
  if (c.args.size() < 3)
    return reply_arity(c.out, "config|get");
  std::vector<std::pair<std::string, std::string>> found;
  for (auto &p : parameters(c))
    for (std::size_t i = 2; i < c.args.size(); ++i)
      if (glob_match(c.args[i], p.first, true)) {
        found.push_back(p);
        break;
      }
  c.out.array(2 * found.size());
  for (const auto &[name, value] : found) {
    c.out.bulk(name);
    c.out.bulk(value);
  }
}

void config_set(Call &c) {
  if (c.args.size() != 4)
    return reply_arity(c.out, "config|set");
  if (lower(c.args[2]) == "requirepass") {
    c.password().set(std::string(c.args[3]));
    return c.out.simple("OK");
  }
  if (lower(c.args[2]) != "nu-mem-limit")
    return c.out.error("ERR Unknown option or number of arguments for "
                       "CONFIG SET - '" +
                       std::string(c.args[2]) + "'");
  auto bytes = parse_memory(c.args[3]);
  if (!bytes)
    return c.out.error("ERR CONFIG SET failed (possibly related to argument "
                       "'nu-mem-limit') - argument must be a memory value");
  nu::set_memory_limit(*bytes);
  c.out.simple("OK");
}

/// AUTH [default] PASSWORD, as Redis's default user.
void auth(Call &c) {
  if (c.args.size() > 3)
    return reply_syntax_error(c.out);
  if (!c.password().required())
    return c.out.error("ERR AUTH <password> called without any password "
                       "configured for the default user. Are you sure your "
                       "configuration is correct?");
  bool named_default = c.args.size() == 2 || c.args[1] == "default";
  if (!named_default || !c.password().matches(c.args.back()))
    return c.out.error("WRONGPASS invalid username-password pair or user is "
                       "disabled.");
  c.authenticated();
  c.out.simple("OK");
}

void config(Call &c) {
  std::string sub = lower(c.args[1]);
  if (sub == "get")
    return config_get(c);
  if (sub == "set")
    return config_set(c);
  if (sub == "resetstat" && c.args.size() == 2)
    return c.out.simple("OK");
  c.out.error("ERR unknown subcommand '" + std::string(c.args[1]) +
              "'. Try CONFIG HELP.");
}

} // namespace

const std::vector<CommandSpec> &server_commands() {
  static const std::vector<CommandSpec> commands = {
      {"ping", -1, ping},
      {"echo", 2, echo},
      {"quit", -1, quit},
      {"select", 2, select},
      {"command", -1, command},
      {"dbsize", 1, dbsize, {}, false, true},
      {"flushall", -1, flushall, {}, true, true},
      {"flushdb", -1, flushall, {}, true, true},
      {"info", -1, info, {}, false, true},
      {"config", -2, config},
      {"auth", -2, auth},
  };
  return commands;
}

} // namespace kv
