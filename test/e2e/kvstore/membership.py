# Membership that keeps live nodes: a server node paused past the heartbeat
# timeout rejoins with its data instead of exiting; a controller killed and
# restarted takes every node back, whichever rejoins first; a paused
# controller declares no one dead; a second main node and a server node
# whose port is taken fail alone.
# usage: /usr/bin/python3 membership.py <nu-kvstore> <nu-controller> <nuctl>
import re
import signal
import socket
import sys
import threading
import time
import unittest

import redis

import kvharness as h

KVSTORE = CONTROLLER = NUCTL = None
LISTENING = re.compile(rb"nu-controller: listening on (\S+)")
TIMEOUT_MS = "1000"  # the controller's heartbeat timeout here


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A controller, two server nodes serving RESP and a main node."""

    def __init__(self, ps, port=None, main_flags=()):
        self.ps = ps
        self.port = port or free_port()
        self.controller = self.start_controller()
        self.servers = [self.start_node(["--nu-join", self.address])
                        for _ in range(2)]
        self.main = self.start_node(["--nu-controller", self.address,
                                     "--shards", "12", *main_flags])
        self.ports = [p.serving()[1] for p in self.nodes()]

    def start_controller(self):
        controller = self.ps.start([
            CONTROLLER, "--listen", f"127.0.0.1:{self.port}",
            "--heartbeat-ms", "200", "--heartbeat-timeout-ms", TIMEOUT_MS])
        self.address = controller.wait_line(LISTENING).group(1).decode()
        return controller

    def start_node(self, role):
        return self.ps.start([KVSTORE, *role, "--port", "0",
                              "--nu-call-timeout-ms", "3000"])

    def nodes(self):
        return [self.main, *self.servers]

    def live(self):
        status = h.run([NUCTL, "--controller", self.address, "status"])
        return len(re.findall(r"^\d+ +live ", status[1], re.M))

    def wait_live(self, n, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.live() == n:
                return True
            time.sleep(0.1)
        return False

    def client(self, i=0):
        return redis.Redis(port=self.ports[i], socket_timeout=10)


class Writer(threading.Thread):
    """SETs k0, k1, ... through one node; keeps what was acknowledged."""

    def __init__(self, port, prefix="w"):
        super().__init__(daemon=True)
        self.prefix = prefix
        self.r = redis.Redis(port=port, socket_timeout=10)
        self.acked, self.errors = {}, 0
        self.stop = threading.Event()

    def run(self):
        i = 0
        while not self.stop.is_set():
            key, value = f"{self.prefix}{i}", f"v{i}"
            try:
                if self.r.set(key, value):
                    self.acked[key] = value.encode()
            except redis.RedisError:
                self.errors += 1
            i += 1


class Membership(unittest.TestCase):
    def assert_all_readable(self, cluster, data):
        for i in range(3):
            r = cluster.client(i)
            values = r.mget(list(data))
            lost = [k for k, v in zip(data, values) if v != data[k]]
            self.assertEqual(lost, [], f"node {i}: {len(lost)} keys lost")

    def assert_running(self, cluster):
        for p in cluster.nodes():
            self.assertIsNone(p.proc.poll(), f"{p.args}: {p.stderr()}")

    def test_a_paused_node_rejoins_with_its_data(self):
        with h.Processes() as ps:
            c = Cluster(ps)
            writer = Writer(c.ports[0])
            writer.start()
            time.sleep(1)
            victim = c.servers[0]
            victim.send_signal(signal.SIGSTOP)
            self.assertTrue(c.wait_live(2), "the paused node is not dead")
            time.sleep(1)
            victim.send_signal(signal.SIGCONT)
            self.assertTrue(c.wait_live(3), victim.stderr())
            time.sleep(1)  # writes succeed again
            writer.stop.set()
            writer.join(30)
            self.assertGreater(len(writer.acked), 100)
            self.assertIn("rejoining", victim.stderr())
            self.assert_running(c)
            self.assert_all_readable(c, writer.acked)
            self.assertTrue(c.client(1).set("after", "pause"))

    def test_a_paused_controller_declares_no_one_dead(self):
        with h.Processes() as ps:
            c = Cluster(ps)
            data = {f"k{i}": f"v{i}".encode() for i in range(200)}
            c.client().mset(data)
            c.controller.send_signal(signal.SIGSTOP)
            time.sleep(3)  # three heartbeat timeouts
            c.controller.send_signal(signal.SIGCONT)
            time.sleep(1)
            self.assertEqual(c.live(), 3)
            log = c.controller.stderr()
            self.assertIn("did not run for", log)
            self.assertNotIn("marked dead", log)
            self.assertNotIn("ending the logical process", log)
            self.assert_running(c)
            self.assert_all_readable(c, data)

    def restart_controller(self, first_main, main_flags=()):
        with h.Processes() as ps:
            c = Cluster(ps, main_flags=main_flags)
            data = {f"k{i}": f"v{i}".encode() for i in range(500)}
            c.client().mset(data)
            c.controller.kill()
            later = c.servers if first_main else [c.main]
            for p in later:
                p.send_signal(signal.SIGSTOP)
            c.controller = c.start_controller()
            self.assertTrue(c.wait_live(3 - len(later)))
            for p in later:
                p.send_signal(signal.SIGCONT)
            self.assertTrue(c.wait_live(3), c.controller.stderr())
            self.assert_running(c)
            self.assert_all_readable(c, data)
            for i in range(3):
                self.assertEqual(c.client(i).dbsize(), len(data))

    def test_controller_restart_main_rejoins_first(self):
        self.restart_controller(first_main=True)

    def test_controller_restart_servers_rejoin_first(self):
        self.restart_controller(first_main=False)

    def test_a_second_main_or_a_taken_port_fails_alone(self):
        with h.Processes() as ps:
            c = Cluster(ps)
            c.client().set("k", "v")
            second = ps.start([KVSTORE, "--nu-controller", c.address,
                               "--port", "0"])
            self.assertEqual(second.finish(20), 1, second.stderr())
            self.assertRegex(second.stderr(),
                             r"join as the main node refused: node \d+ is "
                             r"the main node")
            taken = ps.start([KVSTORE, "--nu-join", c.address, "--port",
                              str(c.ports[1])])
            self.assertEqual(taken.finish(20), 1, taken.stderr())
            self.assertIn("cannot listen at", taken.stderr())
            self.assert_running(c)
            self.assertEqual(c.live(), 3)
            self.assertEqual(c.client(2).get("k"), b"v")


if __name__ == "__main__":
    KVSTORE, CONTROLLER, NUCTL = sys.argv[1:4]
    unittest.main(argv=sys.argv[:1])
