# nu-kvstore on three nodes (a controller, two server nodes, the main
# node), shards migrating every 20 ms: clients on every node, several
# threads on disjoint keys, no write lost, then SIGTERM ends every node.
# usage: /usr/bin/python3 cluster.py <nu-kvstore> <nu-controller>
import random
import re
import sys
import threading
import unittest

import redis

import kvharness as h

KVSTORE = CONTROLLER = None
LISTENING = re.compile(rb"nu-controller: listening on (\S+)")
THREADS, OPS = 4, 750
CHAOS = "--nu-chaos-migrate-ms=20"


def info_field(r, section, name):
    return int(r.info(section)[name])


class Cluster(unittest.TestCase):
    def test_three_nodes(self):
        with h.Processes() as ps:
            controller = ps.start([CONTROLLER, "--listen", "127.0.0.1:0",
                                   "--quiet"])
            address = controller.wait_line(LISTENING).group(1).decode()
            servers = [ps.start([KVSTORE, "--nu-join", address, "--port", "0",
                                 CHAOS]) for _ in range(2)]
            main = ps.start([KVSTORE, "--nu-controller", address, "--port",
                             "0", "--shards", "16", CHAOS])
            nodes = [p.serving() for p in [main, *servers]]
            self.assertEqual(len({node for node, _ in nodes}), 3, nodes)
            ports = [port for _, port in nodes]

            self.run_sequences(ports)
            self.check_migrations(ports)

            main.send_signal()
            for p in [main, *servers]:
                self.assertEqual(p.finish(10), 0, f"{p.args}: {p.stderr()}")
            controller.send_signal()
            self.assertEqual(controller.finish(10), 0, controller.stderr())

    def run_sequences(self, ports):
        checkers, errors = [], []

        def run(i):
            try:
                clients = [redis.Redis(port=p, socket_timeout=30)
                           for p in ports]
                rng = random.Random(h.seed() + i)
                keys = [b"t%d:%d" % (i, k) for k in range(60)]
                c = h.Checker(rng, h.Model(), keys,
                              lambda: rng.choice(clients), global_ops=False)
                checkers.append(c)
                for _ in range(OPS):
                    c.step()
                for r in clients:
                    c.check_all(r)
            except Exception as e:  # reported by the main thread
                errors.append(f"thread {i} (seed {h.seed() + i}): {e!r}")

        threads = [threading.Thread(target=run, args=(i,))
                   for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        total = sum(len(c.model.data) for c in checkers)
        for port in ports:
            self.assertEqual(redis.Redis(port=port).dbsize(), total)

    def check_migrations(self, ports):
        clients = [redis.Redis(port=p) for p in ports]
        for r in clients:
            self.assertEqual(info_field(r, "nu", "nu_nodes"), 3)
            self.assertEqual(info_field(r, "nu", "nu_shards"), 16)
        moved = sum(info_field(r, "nu", "nu_migrations") for r in clients)
        threaded = sum(info_field(r, "clients", "nu_threaded_clients")
                       for r in clients)
        print(f"{moved} migrations, {threaded} clients on threads",
              file=sys.stderr)
        self.assertGreater(moved, 0, "the shards moved between the nodes")
        self.assertGreater(threaded, 0, "clients reaching other nodes moved "
                           "from the event loops to threads of their own")


if __name__ == "__main__":
    KVSTORE, CONTROLLER = sys.argv.pop(1), sys.argv.pop(1)
    unittest.main(verbosity=2)
