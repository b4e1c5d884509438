# Nothing acknowledged is lost with --replicas 1: SIGKILL a server node
# under load (then the other one, once backups were replaced), or pause it
# for 10 s (past the heartbeat timeout) and let it come back; restart the
# controller in both rejoin orders. Clients of the other nodes see no
# error (calls the primary did not answer are sent again once a backup
# took over), every acknowledged SET stays readable from every live node,
# and DBSIZE works.
# usage: /usr/bin/python3 replication.py <nu-kvstore> <nu-controller> <nuctl>
import signal
import sys
import time
import unittest

import kvharness as h
import membership as m


class Replication(unittest.TestCase):
    restart_controller = m.Membership.restart_controller
    assert_all_readable = m.Membership.assert_all_readable
    assert_running = m.Membership.assert_running

    def start(self, ps):
        c = m.Cluster(ps, main_flags=["--replicas", "1"])
        writers = [m.Writer(c.ports[0], "a"), m.Writer(c.ports[2], "b")]
        for w in writers:
            w.start()
        time.sleep(1)
        return c, writers

    def stop(self, writers):
        for w in writers:
            w.stop.set()
            w.join(30)
        acked = {}
        for w in writers:
            acked.update(w.acked)
        self.assertGreater(len(acked), 200)
        self.assertEqual([w.errors for w in writers], [0] * len(writers))
        return acked

    def assert_readable(self, c, ports, acked):
        for i in ports:
            r = c.client(i)
            keys = list(acked)
            lost = [k for k, v in zip(keys, r.mget(keys)) if v != acked[k]]
            log = "\n".join(c.nodes()[i].stderr().splitlines()[-40:])
            self.assertEqual(len(lost), 0, f"node {i}: {len(lost)} of "
                             f"{len(acked)} acknowledged keys lost (first "
                             f"{lost[:5]}); its log ends:\n{log}")
            self.assertGreaterEqual(r.dbsize(), len(acked))
            for k in range(100):  # writes work again, through every node
                self.assertTrue(r.set(f"after{i}-{k}", "x"))

    def test_killed_nodes_lose_no_acknowledged_write(self):
        with h.Processes() as ps:
            c, writers = self.start(ps)
            c.servers[0].kill()
            self.assertTrue(c.wait_live(2), "the killed node is not dead")
            time.sleep(1.5)
            acked = self.stop(writers)
            print(f"killed: {len(acked)} SETs acknowledged", file=sys.stderr)
            self.assert_readable(c, [0, 2], acked)
            # Every shard has a backup again: a second death loses nothing.
            writer = m.Writer(c.ports[0], "c")
            writer.start()
            time.sleep(0.5)
            c.servers[1].kill()
            self.assertTrue(c.wait_live(1), "the second node is not dead")
            time.sleep(1)
            acked.update(self.stop([writer]))
            self.assert_readable(c, [0], acked)

    def test_a_paused_node_comes_back_without_losing_writes(self):
        with h.Processes() as ps:
            c, writers = self.start(ps)
            victim = c.servers[0]
            victim.send_signal(signal.SIGSTOP)
            paused = time.monotonic()
            self.assertTrue(c.wait_live(2), "the paused node is not dead")
            time.sleep(max(0, 10 - (time.monotonic() - paused)))  # 10 s
            victim.send_signal(signal.SIGCONT)
            self.assertTrue(c.wait_live(3), victim.stderr())
            time.sleep(1)
            acked = self.stop(writers)
            self.assert_readable(c, [0, 1, 2], acked)
            self.assertIsNone(victim.proc.poll(), victim.stderr())

    def test_controller_restart_main_rejoins_first(self):
        self.restart_controller(True, ["--replicas", "1"])

    def test_controller_restart_servers_rejoin_first(self):
        self.restart_controller(False, ["--replicas", "1"])


if __name__ == "__main__":
    m.KVSTORE, m.CONTROLLER, m.NUCTL = sys.argv[1:4]
    unittest.main(argv=sys.argv[:1])
