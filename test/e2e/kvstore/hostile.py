# A controller and three nu-kvstore nodes sharing a cluster secret, attacked
# the way a local process without it did before the handshake existed: each
# forged frame is refused at the door, nothing is read, changed or lost.
# usage: /usr/bin/python3 hostile.py <nu-kvstore> <nu-controller> <nuctl>
import os
import re
import socket
import struct
import sys
import tempfile
import unittest

import redis

import kvharness as h

KVSTORE = CONTROLLER = NUCTL = None
LISTENING = re.compile(rb"nu-controller: listening on (\S+)")
NODE_AT = re.compile(r"nu: node (\d+) serving at (\S+)")
REFUSED = "refused a connection from"
LIVE = re.compile(r"^\d+ +live ", re.M)

# Frame kinds and control operations (docs/wire.md).
CALL, RELEASE, CONTROL, MOVE, HELLO = 1, 7, 9, 11, 12
JOIN, LEAVE, REGISTER, UNREGISTER, END_PROCESS = 1, 4, 7, 8, 11
ONE_WAY = 1


def frame(kind, request_id=1, proclet=0, target=0, aux=0, flags=0,
          payload=b""):
    header = struct.pack("<HBBIII QQQQ".replace(" ", ""), 0x554E, 1, kind,
                         flags, len(payload), 0, request_id, proclet, target,
                         aux)
    return header + payload


def host_port(address):
    host, port = address.rsplit(":", 1)
    return host, int(port)


class Hostile(unittest.TestCase):
    def setUp(self):
        os.environ.pop("NU_SECRET_FILE", None)
        self.dir = tempfile.TemporaryDirectory()
        self.secret = h.write_secret(self.dir.name, "secret",
                                   "the cluster's own secret, 32 bytes")

    def tearDown(self):
        self.dir.cleanup()

    def refused(self, address, data):
        """Sends data raw to address; True if the peer closed the connection
        having answered at most with its handshake (frames of kind Hello)."""
        answer = b""
        with socket.create_connection(host_port(address), timeout=10) as s:
            try:
                s.sendall(data)
                while chunk := s.recv(65536):
                    answer += chunk
            except ConnectionResetError:
                pass
        while len(answer) >= 48:
            kind, size = answer[3], struct.unpack_from("<I", answer, 8)[0]
            if kind != HELLO:
                return False
            answer = answer[48 + size:]
        return answer == b""

    def test_attacks_without_the_secret_change_nothing(self):
        with h.Processes() as ps:
            controller = ps.start([CONTROLLER, "--listen", "127.0.0.1:0",
                                   "--secret-file", self.secret])
            address = controller.wait_line(LISTENING).group(1).decode()
            flags = ["--port", "0", "--nu-secret-file", self.secret]
            servers = [ps.start([KVSTORE, "--nu-join", address, *flags])
                       for _ in range(2)]
            main = ps.start([KVSTORE, "--nu-controller", address, "--shards",
                             "8", *flags])
            ports = [p.serving()[1] for p in [main, *servers]]
            node_addresses = [self.node_address(p) for p in servers]
            data = {b"k%d" % i: b"v%d" % i for i in range(200)}
            redis.Redis(port=ports[0]).mset(data)

            self.attack(address, node_addresses)

            for port in ports:  # nothing read, changed or lost
                r = redis.Redis(port=port)
                self.assertEqual(r.dbsize(), len(data))
                self.assertEqual(r.mget(list(data)), list(data.values()))
            status = h.run([NUCTL, "--controller", address, "--secret-file",
                            self.secret, "status"])
            self.assertEqual(status[0], 0, status)
            self.assertEqual(len(LIVE.findall(status[1])), 3, status[1])
            lines = [l for p in [controller, *servers]
                     for l in p.stderr().splitlines() if REFUSED in l]
            self.assertGreaterEqual(len(lines), 2, lines)
            self.assertLessEqual(len(lines), 12, "rate-limited: " + str(lines))

            main.send_signal()
            for p in [main, *servers]:
                self.assertEqual(p.finish(10), 0, f"{p.args}: {p.stderr()}")
            controller.send_signal()
            self.assertEqual(controller.finish(10), 0, controller.stderr())

    def node_address(self, process):
        process.wait_line(re.compile(rb"serving RESP"))
        for _ in range(100):
            m = NODE_AT.search(process.stderr())
            if m:
                return m.group(2)
            h.time.sleep(0.05)
        self.fail(f"no 'serving at' line: {process.stderr()}")

    def attack(self, controller, nodes):
        attacks = {
            "EndProcess to the controller": (controller, frame(
                CONTROL, target=END_PROCESS)),
            "Leave(2) to the controller": (controller, frame(
                CONTROL, target=LEAVE, payload=struct.pack("<I", 2))),
            "a Join as main": (controller, frame(
                CONTROL, target=JOIN, payload=b"\x00" * 64 + b"\x01")),
            "Unregister to the controller": (controller, frame(
                CONTROL, target=UNREGISTER, flags=ONE_WAY,
                payload=struct.pack("<QQ", 1, (1 << 40) + 1))),
            "a drain (Move) to a node": (nodes[0], frame(MOVE)),
            "a Call to a node": (nodes[0], frame(
                CALL, proclet=(2 << 40) + 1, target=0x1234)),
            "a Release of 2^40 to a node": (nodes[1], frame(
                RELEASE, proclet=(3 << 40) + 1, aux=1 << 40, flags=ONE_WAY)),
            "a Hello with a made-up proof": (nodes[1], frame(
                HELLO, payload=b"\x01\x01" + os.urandom(32)) + frame(
                HELLO, request_id=3, payload=b"\x00" * 32)),
        }
        for name, (address, data) in attacks.items():
            self.assertTrue(self.refused(address, data), name)

    def test_a_node_with_another_secret_cannot_join(self):
        other = h.write_secret(self.dir.name, "other",
                             "not the cluster's secret, 32 bytes")
        with h.Processes() as ps:
            controller = ps.start([CONTROLLER, "--listen", "127.0.0.1:0",
                                   "--secret-file", self.secret])
            address = controller.wait_line(LISTENING).group(1).decode()
            intruder = ps.start([KVSTORE, "--nu-join", address, "--port", "0",
                                 "--nu-secret-file", other])
            self.assertEqual(intruder.finish(20), 1, intruder.stderr())
            self.assertIn("cluster authentication failed", intruder.stderr())
            nuctl = h.run([NUCTL, "--controller", address, "--secret-file",
                           other, "status"])
            self.assertNotEqual(nuctl[0], 0, nuctl)
            self.assertIn("cluster authentication failed", nuctl[2])
            status = h.run([NUCTL, "--controller", address, "--secret-file",
                            self.secret, "status"])
            self.assertEqual(status[0], 0, status)
            self.assertEqual(LIVE.findall(status[1]), [])  # nobody joined
            controller.send_signal()
            self.assertEqual(controller.finish(10), 0, controller.stderr())

    def test_bad_secret_files_and_protected_mode(self):
        readable = h.write_secret(self.dir.name, "readable",
                                "a secret anyone may read, 32 bytes", 0o644)
        for args in ([CONTROLLER, "--secret-file", readable],
                     [KVSTORE, "--nu-join", "127.0.0.1:1", "--nu-secret-file",
                      readable]):
            status, _, err = h.run(args)
            self.assertEqual(status, 2, err)
            self.assertIn("chmod 600 " + readable, err)
        for args, flag in (([CONTROLLER, "--listen", "0.0.0.0:0"],
                            "--insecure"),
                           ([KVSTORE, "--nu-join", "127.0.0.1:1",
                             "--nu-listen", "0.0.0.0:0"], "--nu-insecure")):
            status, _, err = h.run(args)
            self.assertEqual(status, 2, err)
            self.assertIn("refusing to listen at 0.0.0.0:0 without a cluster "
                          "secret", err)
            self.assertIn(flag, err)


if __name__ == "__main__":
    KVSTORE, CONTROLLER, NUCTL = sys.argv[1:4]
    unittest.main(argv=sys.argv[:1])
