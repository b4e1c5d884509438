# nu-kvstore's command line: bad flags exit 2 with a message, a port in use
# exits 1 with a message, --help exits 0.
# usage: /usr/bin/python3 flags.py <nu-kvstore>
import socket
import sys
import unittest

import kvharness as h

KVSTORE = None


class Flags(unittest.TestCase):
    def test_bad_flags_exit_2(self):
        for args, message in [
                (["--port", "x"], "--port expects an integer in [0, 65535]"),
                (["--port=70000"], "--port expects an integer in [0, 65535]"),
                (["--shards", "0"], "--shards expects an integer in [1, 65536]"),
                (["--bogus"], "unknown argument '--bogus'"),
                (["--port"], "--port needs a value")]:
            status, out, err = h.run([KVSTORE, *args])
            self.assertEqual(status, 2, args)
            self.assertIn("nu-kvstore: " + message, err, args)
            self.assertEqual(out, "", args)

    def test_a_bad_runtime_flag_exits_2(self):
        status, _, err = h.run([KVSTORE, "--port", "0", "--nu-bogus=1"])
        self.assertEqual(status, 2)
        self.assertIn("--nu-bogus", err)

    def test_port_in_use_exits_1(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            status, out, err = h.run([KVSTORE, "--port", str(port)])
        self.assertEqual(status, 1, err)
        self.assertIn(f"nu-kvstore: cannot listen at 127.0.0.1:{port}: "
                      "Address already in use", err)
        self.assertNotIn("serving RESP", out)

    def test_help(self):
        status, out, _ = h.run([KVSTORE, "--help"])
        self.assertEqual(status, 0)
        self.assertIn("--shards N", out)


if __name__ == "__main__":
    KVSTORE = sys.argv.pop(1)
    unittest.main(verbosity=2)
