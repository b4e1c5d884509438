// A small social network: users sharded over proclets; a post fans out to
// its author's followers' timelines, each on the shard that holds them.
#include <nu/nu.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using UserId = std::uint64_t;

/// A post on a timeline; `seq` orders posts (the newest is the largest).
struct Post {
  std::uint64_t seq = 0;
  UserId author = 0;
  std::string text;

  template <class Archive> void serialize(Archive &A) { A(seq, author, text); }
  bool operator==(const Post &) const = default;
};

/// Thrown for a user no shard knows; callers catch it as itself.
class UnknownUser : public std::runtime_error {
public:
  explicit UnknownUser(const std::string &What) : std::runtime_error(What) {}
};

class [[nu::proclet]] UserShard {
public:
  UserShard(std::size_t ShardIndex, std::size_t TimelineLength)
      : Index(ShardIndex), Keep(TimelineLength) {}

  /// The shards of the network, this one among them, in shard order (weak
  /// handles: whoever made the shards keeps them alive).
  void SetPeers(std::vector<nu::WeakProclet<UserShard>> All) {
    std::scoped_lock L(Mu);
    Peers = std::move(All);
  }
  void AddUser(UserId Id, std::string Name) {
    std::scoped_lock L(Mu);
    Users[Id].Name = std::move(Name);
  }
  void AddFollower(UserId Followee, UserId Follower) {
    std::scoped_lock L(Mu);
    user(Followee).Followers.insert(Follower);
  }
  /// Puts \p P on its author's followers' timelines: here directly, on
  /// other shards by one call to each (a call to itself would keep this
  /// shard from migrating while the call waits: docs/migration.md).
  void Publish(const Post &P) {
    std::map<std::size_t, std::vector<UserId>> ByShard;
    std::vector<nu::WeakProclet<UserShard>> To;
    {
      std::scoped_lock L(Mu);
      for (UserId F : user(P.author).Followers)
        ByShard[F % Peers.size()].push_back(F);
      To = Peers;
      if (auto Here = ByShard.find(Index); Here != ByShard.end()) {
        deliver(Here->second, P);
        ByShard.erase(Here);
      }
    }
    std::vector<nu::Future<void>> Sent;
    for (auto &[Shard, Followers] : ByShard)
      Sent.push_back(To[Shard].RunAsync(&UserShard::Deliver, Followers, P));
    nu::when_all(std::move(Sent)).get();
  }
  void Deliver(const std::vector<UserId> &Followers, const Post &P) {
    std::scoped_lock L(Mu);
    deliver(Followers, P);
  }
  /// \p Id's timeline, newest first.
  std::vector<Post> Timeline(UserId Id) {
    std::scoped_lock L(Mu);
    return user(Id).Timeline;
  }
  nu::NodeId Where() const { return nu::this_node(); }

private:
  struct User {
    std::string Name;
    std::set<UserId> Followers;
    std::vector<Post> Timeline;

    template <class Archive> void serialize(Archive &A) {
      A(Name, Followers, Timeline);
    }
  };

  void deliver(const std::vector<UserId> &Followers, const Post &P) {
    for (UserId F : Followers) {
      std::vector<Post> &T = user(F).Timeline;
      T.insert(std::upper_bound(
                   T.begin(), T.end(), P.seq,
                   [](std::uint64_t S, const Post &Q) { return S > Q.seq; }),
               P);
      if (T.size() > Keep)
        T.pop_back();
    }
  }

  User &user(UserId Id) {
    auto It = Users.find(Id);
    if (It == Users.end())
      throw UnknownUser("no user " + std::to_string(Id));
    return It->second;
  }

  std::mutex Mu;
  std::size_t Index;
  std::size_t Keep;
  std::vector<nu::WeakProclet<UserShard>> Peers;
  std::map<UserId, User> Users;
};

namespace {

using Shards = std::vector<nu::Proclet<UserShard>>;

/// The network's size: `users` users who follow `follows` others each,
/// `posts` posts by random users, timelines of the newest `timeline`.
struct Params {
  std::size_t users = 2000, follows = 20, posts = 5000, shards = 6,
              timeline = 50;
  std::uint64_t seed = 1;
};

Params parse(int argc, char **argv) {
  Params p;
  std::map<std::string, std::size_t *> flags{{"--users", &p.users},
                                             {"--follows", &p.follows},
                                             {"--posts", &p.posts},
                                             {"--shards", &p.shards},
                                             {"--timeline", &p.timeline}};
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    auto it = flags.find(flag);
    if (flag != "--seed" && it == flags.end())
      throw std::invalid_argument("unknown flag: " + flag);
    if (i + 1 == argc)
      throw std::invalid_argument(flag + " wants a value");
    std::string text = argv[i + 1];
    if (text.empty() ||
        text.find_first_not_of("0123456789") != std::string::npos ||
        text.size() > 18)
      throw std::invalid_argument(flag + " wants a number, not '" + text + "'");
    std::size_t v = std::stoull(text);
    if (flag == "--seed")
      p.seed = v;
    else
      *it->second = v;
  }
  if (p.users < 2 || p.shards == 0 || p.timeline == 0 || p.follows >= p.users)
    throw std::invalid_argument(
        "want users >= 2, shards and timeline >= 1, follows < users");
  return p;
}

/// Who follows whom (followee -> followers), drawn from the seed.
std::vector<std::set<UserId>> follow_graph(const Params &p) {
  std::mt19937_64 rng(p.seed);
  std::uniform_int_distribution<UserId> pick(0, p.users - 1);
  std::vector<std::set<UserId>> followers(p.users);
  for (UserId u = 0; u < p.users; ++u)
    for (std::size_t n = 0; n < p.follows;) {
      UserId v = pick(rng);
      if (v != u && followers[v].insert(u).second)
        ++n;
    }
  return followers;
}

/// Calls `call(item)` (which returns a Future<R>) on every item, then waits
/// for all: their results in item order (nothing for R = void).
template <class R, class Item, class Call>
auto for_all(const std::vector<Item> &items, Call call) {
  std::vector<nu::Future<R>> futures;
  for (const Item &item : items)
    futures.push_back(call(item));
  return nu::when_all(std::move(futures)).get();
}

Shards make_network(const Params &p,
                    const std::vector<std::set<UserId>> &followers) {
  Shards shards;
  std::vector<nu::WeakProclet<UserShard>> weak;
  for (std::size_t i = 0; i < p.shards; ++i) {
    shards.push_back(nu::make_proclet<UserShard>(i, p.timeline));
    weak.push_back(shards.back().get_weak());
  }
  for (auto &s : shards)
    s.Run(&UserShard::SetPeers, weak);
  std::vector<UserId> users(p.users);
  for (UserId u = 0; u < p.users; ++u)
    users[u] = u;
  for_all<void>(users, [&](UserId u) {
    return shards[u % p.shards].RunAsync(&UserShard::AddUser, u,
                                         "user" + std::to_string(u));
  });
  for_all<void>(users, [&](UserId u) {
    return shards[u % p.shards].RunAsync(
        +[](UserShard &s, UserId followee, std::vector<UserId> fs) {
          for (UserId f : fs)
            s.AddFollower(followee, f);
        },
        u, std::vector<UserId>(followers[u].begin(), followers[u].end()));
  });
  return shards;
}

void print_placement(const Shards &shards) {
  std::map<nu::NodeId, int> per_node;
  for (nu::NodeId n : for_all<nu::NodeId>(
           shards, [](auto &s) { return s.RunAsync(&UserShard::Where); }))
    ++per_node[n];
  std::printf("shards per node:");
  for (auto [node, count] : per_node)
    std::printf(" %u:%d", node, count);
  std::printf("\n");
}

/// Publishes the posts, 64 at a time; returns what each timeline should
/// hold, newest first.
std::vector<std::vector<Post>>
publish(const Params &p, const Shards &shards,
        const std::vector<std::set<UserId>> &followers) {
  std::mt19937_64 rng(p.seed + 1);
  std::uniform_int_distribution<UserId> pick(0, p.users - 1);
  std::vector<std::vector<Post>> expected(p.users);
  std::vector<nu::Future<void>> batch;
  for (std::uint64_t seq = 1; seq <= p.posts; ++seq) {
    Post post{seq, pick(rng), "post " + std::to_string(seq)};
    for (UserId f : followers[post.author])
      expected[f].insert(expected[f].begin(), post);
    batch.push_back(
        shards[post.author % p.shards].RunAsync(&UserShard::Publish, post));
    if (batch.size() == 64 || seq == p.posts)
      nu::when_all(std::exchange(batch, {})).get();
  }
  for (auto &t : expected)
    if (t.size() > p.timeline)
      t.resize(p.timeline);
  return expected;
}

int run(const Params &p) {
  auto followers = follow_graph(p);
  Shards shards = make_network(p, followers);
  print_placement(shards);
  auto start = std::chrono::steady_clock::now();
  auto expected = publish(p, shards, followers);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("published %zu posts in %.2f s (%.0f posts/s)\n", p.posts,
              seconds, p.posts / seconds);
  std::size_t wrong = 0;
  for (UserId u = 0; u < p.users; ++u)
    if (shards[u % p.shards].Run(&UserShard::Timeline, u) != expected[u])
      ++wrong;
  std::printf("timelines checked: %zu, wrong: %zu\n", p.users, wrong);
  try {
    shards[0].Run(&UserShard::Timeline, UserId(p.users * p.shards));
    std::printf("no error for an unknown user\n");
    return 1;
  } catch (const UnknownUser &e) {
    std::printf("unknown user: %s\n", e.what());
  }
  return wrong == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  nu::register_exception<UnknownUser>();
  return nu::main(argc, argv, [](int ac, char **av) {
    Params p;
    try {
      p = parse(ac, av);
    } catch (const std::invalid_argument &e) {
      std::fprintf(stderr,
                   "social: %s\nusage: social [--users N] [--follows N] "
                   "[--posts N] [--shards N] [--timeline N] [--seed N]\n",
                   e.what());
      return 2;
    }
    std::printf("social: %zu users following %zu each, %zu shards\n", p.users,
                p.follows, p.shards);
    return run(p);
  });
}
