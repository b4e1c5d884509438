# nu-kvstore --cluster on three nodes with the real cluster clients: redis-py's
# RedisCluster through a `nuctl drain`, redis-cli -c following a MOVED,
# redis-benchmark --cluster while shards migrate, and the protocol's
# refusals (CROSSSLOT, bad CLUSTER requests, flags).
# usage: /usr/bin/python3 cluster_protocol.py <nu-kvstore> <nu-controller>
#        <nuctl>
import logging
import re
import sys
import threading
import time
import unittest

import redis
from redis.cluster import RedisCluster

import kvharness as h

KVSTORE = CONTROLLER = NUCTL = None
LISTENING = re.compile(rb"nu-controller: listening on (\S+)")
KEYS = 20000


def cluster_slots(port):
    """{(first, last): node port} as CLUSTER SLOTS on `port` lists them."""
    r = redis.Redis(port=port)
    return {(s[0], s[1]): s[2][1] for s in r.execute_command("CLUSTER SLOTS")}


def moved(ports):
    return sum(int(redis.Redis(port=p).info("cluster")["nu_moved_redirects"])
               for p in ports)


class ClusterProtocol(unittest.TestCase):
    def start(self, ps, *flags, shards=32):
        controller = ps.start([CONTROLLER, "--listen", "127.0.0.1:0",
                               "--quiet", "--heartbeat-ms", "100"])
        self.address = controller.wait_line(LISTENING).group(1).decode()
        common = ["--cluster", "--port", "0", *flags]
        servers = [ps.start([KVSTORE, "--nu-join", self.address, *common])
                   for _ in range(2)]
        # Joined before the main node starts, so that the map spreads.
        for p in servers:
            self.wait_for(lambda: "serving at" in p.stderr(), p.stderr)
        main = ps.start([KVSTORE, "--nu-controller", self.address, *common,
                         "--shards", str(shards)])
        nodes = dict(p.serving() for p in [main, *servers])  # id -> port
        self.assertEqual(len(nodes), 3, nodes)
        ports = list(nodes.values())
        # Every node lists every node once their heartbeats carried the
        # addresses.
        self.wait_for(lambda: all(
            set(cluster_slots(p).values()) == set(ports) for p in ports),
            lambda: {p: sorted(set(cluster_slots(p).values())) for p in ports})
        return nodes

    def wait_for(self, done, state=lambda: "", timeout=10):
        """Polls done() until it is true; fails after timeout s, showing
        state()."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                self.fail(f"timed out; {state()}")
            time.sleep(0.05)

    def test_redis_py_writes_through_a_drain(self):
        with h.Processes() as ps:
            nodes = self.start(ps)
            victim, victim_port = sorted(nodes.items())[0]
            rc = RedisCluster(host="127.0.0.1", port=nodes[max(nodes)])
            written, errors = [0], []

            def write():
                try:
                    for i in range(KEYS):
                        rc.set(f"key:{i}", f"value:{i}")
                        written[0] = i + 1
                except Exception as e:  # reported by the main thread
                    errors.append(repr(e))

            writer = threading.Thread(target=write)
            writer.start()
            self.wait_for(lambda: written[0] >= KEYS // 4 or errors)
            status, out, err = h.run([NUCTL, "--controller", self.address,
                                      "drain", str(victim)], timeout=60)
            self.assertEqual(status, 0, out + err)
            drained_at = written[0]
            writer.join(120)
            self.assertEqual(errors, [])
            self.assertLess(drained_at, KEYS, "the drain came too late")

            # No slot is served by the drained node any more, on any node.
            self.wait_for(lambda: all(
                victim_port not in cluster_slots(p).values()
                for p in nodes.values()))
            got = rc.mget_nonatomic([f"key:{i}" for i in range(KEYS)])
            missing = [i for i, v in enumerate(got)
                       if v != f"value:{i}".encode()]
            self.assertEqual(missing, [])
            self.assertEqual(redis.Redis(port=victim_port).dbsize(), KEYS)
            self.assertGreater(moved(nodes.values()), 0)

    def test_redis_cli_follows_a_moved(self):
        with h.Processes() as ps:
            nodes = self.start(ps)
            port = nodes[max(nodes)]
            slots = cluster_slots(port)

            def server(key):
                slot = redis.Redis(port=port).execute_command(
                    "CLUSTER", "KEYSLOT", key)
                return next(p for (first, last), p in slots.items()
                            if first <= slot <= last)

            key = next(k for k in (f"k{i}" for i in range(1000))
                       if server(k) != port)
            status, out, _ = h.run(["redis-cli", "-p", str(port), "SET", key,
                                    "v"])
            self.assertRegex(out, r"^MOVED \d+ 127\.0\.0\.1:\d+")
            status, out, _ = h.run(["redis-cli", "-c", "-p", str(port), "SET",
                                    key, "v"])
            self.assertEqual((status, out.strip()), (0, "OK"))
            status, out, _ = h.run(["redis-cli", "-c", "-p", str(port), "GET",
                                    key])
            self.assertEqual(out.strip(), "v")

    def test_redis_benchmark_while_shards_migrate(self):
        with h.Processes() as ps:
            nodes = self.start(ps, "--nu-chaos-migrate-ms=20")
            ports = list(nodes.values())
            # A run takes under a second and uses few keys (no -r), so it
            # may see none of their shards move: runs again until one does.
            for _ in range(10):
                status, out, err = h.run(
                    ["redis-benchmark", "--cluster", "-p", str(ports[0]),
                     "-t", "set,get", "-n", "60000", "-c", "20", "-P", "8",
                     "-q"], timeout=120)
                text = out + err
                self.assertEqual(status, 0, text)
                self.assertNotRegex(text, r"(?i)error")
                self.assertRegex(text, r"SET: [\d.]+ requests per second")
                self.assertRegex(text, r"GET: [\d.]+ requests per second")
                if moved(ports) > 0:
                    break
            else:
                self.fail("no MOVED redirect in 10 runs under chaos")

    def test_the_protocol_refuses_what_redis_refuses(self):
        with h.Processes() as ps:
            nodes = self.start(ps)
            r = redis.Redis(port=nodes[max(nodes)])
            with self.assertRaisesRegex(redis.ResponseError, "^CROSSSLOT"):
                r.execute_command("MGET", "a", "b")
            with self.assertRaisesRegex(redis.ResponseError, "^CROSSSLOT"):
                r.execute_command("MSET", "{x}a", "1", "b", "2")
            self.assertEqual(r.execute_command("CLUSTER", "KEYSLOT", "foo"),
                             12182)
            self.assertEqual(r.execute_command("CLUSTER", "KEYSLOT",
                                               "{foo}bar"), 12182)
            self.assertEqual(len(r.execute_command("CLUSTER", "MYID")), 40)
            self.assertIn(b"cluster_state:ok",
                          r.execute_command("CLUSTER", "INFO"))
            self.assertTrue(r.execute_command("READONLY"))
            with self.assertRaisesRegex(redis.ResponseError, "Invalid slot"):
                r.execute_command("CLUSTER", "COUNTKEYSINSLOT", "16384")
            with self.assertRaisesRegex(redis.ResponseError,
                                        "unknown subcommand"):
                r.execute_command("CLUSTER", "MEET", "x")
            with self.assertRaisesRegex(redis.ResponseError, "wrong number"):
                r.execute_command("CLUSTER")
            rc = RedisCluster(host="127.0.0.1", port=nodes[max(nodes)])
            rc.mset_nonatomic({"{t}a": "1", "{t}b": "2"})
            self.assertEqual(rc.mget_nonatomic(["{t}a", "{t}b"]),
                             [b"1", b"2"])
            slot = rc.keyslot("{t}a")
            self.assertEqual(rc.execute_command(
                "CLUSTER", "COUNTKEYSINSLOT", slot,
                target_nodes=rc.get_node_from_key("{t}a")), 2)

    def test_backups_are_listed_as_replicas(self):
        with h.Processes() as ps:
            nodes = self.start(ps, "--replicas", "1", shards=8)
            ports = set(nodes.values())
            r = redis.Redis(port=nodes[max(nodes)])
            rc = RedisCluster(host="127.0.0.1", port=nodes[max(nodes)])
            # A shard made on a node that had not heard of the others yet
            # gets its backup with its first call: write to every shard.
            for i in range(400):
                rc.set(f"k{i}", "v")
            # Where backups are is asked of every node once a second.
            self.wait_for(lambda: all(
                len(s) == 4 for s in r.execute_command("CLUSTER", "SLOTS")),
                lambda: r.execute_command("CLUSTER", "SLOTS"))
            ranges = r.execute_command("CLUSTER", "SLOTS")
            self.assertEqual(sum(s[1] - s[0] + 1 for s in ranges), 16384)
            for first, last, primary, *replicas in ranges:
                self.assertEqual(len(replicas), 1, ranges)
                self.assertIn(replicas[0][1], ports - {primary[1]})
            shards = r.execute_command("CLUSTER", "SHARDS")
            roles = [n[n.index(b"role") + 1] for s in shards for n in s[3]]
            self.assertEqual(roles.count(b"replica"), len(shards))
            self.assertEqual(rc.get("k7"), b"v")

    def test_flags(self):
        status, _, err = h.run([KVSTORE, "--cluster", "--shards", "16385"])
        self.assertEqual(status, 2)
        self.assertIn("at most 16384 shards", err)
        with h.Processes() as ps:
            controller = ps.start([CONTROLLER, "--listen", "127.0.0.1:0",
                                   "--quiet"])
            address = controller.wait_line(LISTENING).group(1).decode()
            status, _, err = h.run([KVSTORE, "--nu-join", address,
                                    "--cluster"])
            self.assertEqual(status, 1)
            self.assertIn("give --port", err)
        # Without --cluster, the cluster commands are refused, as Redis's.
        with h.Processes() as ps:
            alone = ps.start([KVSTORE, "--port", "0"])
            _, port = alone.serving()
            r = redis.Redis(port=port)
            with self.assertRaisesRegex(redis.ResponseError,
                                        "cluster support disabled"):
                r.execute_command("CLUSTER", "SLOTS")
            self.assertEqual(r.execute_command("MGET", "a", "b"), [None, None])


if __name__ == "__main__":
    # redis-py logs every MOVED it follows with a traceback.
    logging.getLogger("redis.cluster").setLevel(logging.CRITICAL)
    KVSTORE, CONTROLLER, NUCTL = sys.argv[1:4]
    del sys.argv[1:4]
    unittest.main(verbosity=2)
