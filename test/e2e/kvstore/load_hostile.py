# The load generator's cluster client against a server that lies: slot
# ranges out of bounds, ports that cannot be, MOVED redirects whose slot or
# address is not one. Each run must end with exit code 1 and a clear error,
# never a crash. Usage: load_hostile.py <nu-kvstore-load>
import socket
import subprocess
import sys
import threading
import unittest

LOAD = sys.argv[1] if len(sys.argv) > 1 else "nu-kvstore-load"


def array(items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def integer(n):
    return b":%d\r\n" % n


def bulk(text):
    return b"$%d\r\n%s\r\n" % (len(text), text)


def slots(first, last, port):
    return array([array([integer(first), integer(last),
                         array([bulk(b"127.0.0.1"), integer(port)])])])


def read_command(f):
    """One RESP array of bulk strings from \\p f, or None at the end."""
    line = f.readline()
    if not line.startswith(b"*"):
        return None
    words = []
    for _ in range(int(line[1:])):
        size = int(f.readline()[1:])
        words.append(f.read(size + 2)[:-2])
    return words


class FakeServer:
    """Answers CLUSTER SLOTS with \\p slots_reply(port), INFO with nothing,
    and every other command with \\p reply."""

    def __init__(self, slots_reply, reply):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.slots_reply, self.reply = slots_reply, reply
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,),
                             daemon=True).start()

    def serve(self, conn):
        with conn, conn.makefile("rb") as f:
            try:
                while (words := read_command(f)) is not None:
                    name = words[0].upper()
                    if name == b"CLUSTER":
                        conn.sendall(self.slots_reply(self.port))
                    elif name == b"INFO":
                        conn.sendall(bulk(b""))
                    else:
                        conn.sendall(self.reply(self.port))
            except (OSError, ValueError):
                return

    def close(self):
        self.sock.close()


class LoadAgainstALyingServer(unittest.TestCase):
    def run_load(self, slots_reply, reply):
        server = FakeServer(slots_reply, reply)
        try:
            return subprocess.run(
                [LOAD, "--servers", "127.0.0.1:%d" % server.port, "--cluster",
                 "--connections", "1", "--keys", "10", "--duration", "1",
                 "--timeout-ms", "3000"],
                capture_output=True, text=True, timeout=30)
        finally:
            server.close()

    def expect_error(self, result, text):
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertTrue(result.stderr.startswith("nu-kvstore-load: "),
                        result.stderr)
        self.assertIn(text, result.stderr)

    def test_slot_ranges_out_of_bounds_are_refused(self):
        for first, last in [(-5, 10), (0, 16384), (10, 5), (-(1 << 40), 0)]:
            with self.subTest(first=first, last=last):
                result = self.run_load(lambda port: slots(first, last, port),
                                       lambda port: b"+OK\r\n")
                self.expect_error(result, "a malformed CLUSTER SLOTS reply")

    def test_ports_that_cannot_be_are_refused(self):
        for port in [0, -1, 65536]:
            with self.subTest(port=port):
                result = self.run_load(lambda _: slots(0, 16383, port),
                                       lambda port: b"+OK\r\n")
                self.expect_error(result, "a malformed CLUSTER SLOTS reply")

    def test_redirects_that_are_not_one_are_refused(self):
        for moved in [b"MOVED abc 127.0.0.1:%d", b"MOVED 16384 127.0.0.1:%d",
                      b"MOVED 99999999999999999999999 127.0.0.1:%d",
                      b"MOVED -1 127.0.0.1:%d", b"MOVED 12", b"MOVED  "]:
            with self.subTest(moved=moved):
                result = self.run_load(
                    lambda port: slots(0, 16383, port),
                    lambda port: b"-" + (moved % port if b"%d" in moved
                                         else moved) + b"\r\n")
                self.expect_error(result, "a malformed redirect")

    def test_a_redirect_to_no_address_is_refused(self):
        result = self.run_load(lambda port: slots(0, 16383, port),
                               lambda port: b"-MOVED 5 nowhere\r\n")
        self.expect_error(result, "bad address 'nowhere'")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
