# A controller and two nu-kvstore nodes with TLS and a cluster secret: the
# store works, nuctl drains a node over TLS, and a node whose certificate
# another CA signed, a plain-TCP node and a plain-TCP nuctl are kept out.
# usage: /usr/bin/python3 tls.py <nu-kvstore> <nu-controller> <nuctl>
#        <make-certs.sh>
import os
import re
import subprocess
import sys
import tempfile
import unittest

import redis

import kvharness as h

KVSTORE = CONTROLLER = NUCTL = MAKE_CERTS = None
LISTENING = re.compile(rb"nu-controller: listening on (\S+)")
LIVE = re.compile(r"^\d+ +live ", re.M)


class Tls(unittest.TestCase):
    def setUp(self):
        os.environ.pop("NU_SECRET_FILE", None)
        self.dir = tempfile.TemporaryDirectory()
        self.certs = os.path.join(self.dir.name, "certs")
        rogue = os.path.join(self.dir.name, "rogue")
        for directory, names in ((self.certs, ["controller", "node1", "node2",
                                               "nuctl"]),
                                 (rogue, ["intruder"])):
            subprocess.run([MAKE_CERTS, directory, *names], check=True,
                           stdout=subprocess.DEVNULL)
        self.secret = h.write_secret(self.dir.name, "secret",
                                     "the cluster's own secret, 32 bytes")
        self.rogue = rogue

    def tearDown(self):
        self.dir.cleanup()

    def tls(self, name, prefix="--tls-", directory=None):
        directory = directory or self.certs
        return [prefix + "cert", os.path.join(directory, name + ".pem"),
                prefix + "key", os.path.join(directory, name + ".key"),
                prefix + "ca", os.path.join(directory, "ca.pem")]

    def node(self, name, directory=None):
        return ["--nu-secret-file", self.secret,
                *self.tls(name, "--nu-tls-", directory)]

    def nuctl(self, address, *command, tls=True):
        return h.run([NUCTL, "--controller", address, "--secret-file",
                      self.secret, *(self.tls("nuctl") if tls else []),
                      *command], timeout=60)

    def test_a_cluster_over_tls_keeps_outsiders_out(self):
        with h.Processes() as ps:
            controller = ps.start([CONTROLLER, "--listen", "127.0.0.1:0",
                                   "--secret-file", self.secret,
                                   *self.tls("controller")])
            address = controller.wait_line(LISTENING).group(1).decode()
            server = ps.start([KVSTORE, "--nu-join", address, "--port", "0",
                               *self.node("node1")])
            main = ps.start([KVSTORE, "--nu-controller", address, "--port",
                             "0", "--shards", "8", *self.node("node2")])
            port = main.serving()[1]
            server.serving()
            data = {b"k%d" % i: b"v%d" % i for i in range(200)}
            redis.Redis(port=port).mset(data)

            intruders = {
                "another CA": self.node("intruder", self.rogue),
                "no TLS": ["--nu-secret-file", self.secret],
            }
            for why, flags in intruders.items():
                intruder = ps.start([KVSTORE, "--nu-join", address, "--port",
                                     "0", *flags])
                self.assertEqual(intruder.finish(20), 1,
                                 f"{why}: {intruder.stderr()}")
            plain = self.nuctl(address, "status", tls=False)
            self.assertNotEqual(plain[0], 0, plain)
            self.assertIn("only one side uses TLS", plain[2])

            status = self.nuctl(address, "status")
            self.assertEqual(status[0], 0, status)
            self.assertEqual(len(LIVE.findall(status[1])), 2, status[1])
            drained = self.nuctl(address, "drain", "1")  # nuctl -> node 1
            self.assertEqual(drained[0], 0, drained)
            r = redis.Redis(port=port)
            self.assertEqual(r.dbsize(), len(data))
            self.assertEqual(r.mget(list(data)), list(data.values()))
            refusals = [l for l in controller.stderr().splitlines()
                        if "TLS handshake failed" in l]
            self.assertGreaterEqual(len(refusals), 2, controller.stderr())
            self.assertTrue(any("does not use TLS" in l for l in refusals),
                            refusals)

            main.send_signal()
            for p in (main, server):
                self.assertEqual(p.finish(10), 0, f"{p.args}: {p.stderr()}")
            controller.send_signal()
            self.assertEqual(controller.finish(10), 0, controller.stderr())

    def test_bad_tls_files_are_refused_with_the_reason(self):
        key = os.path.join(self.certs, "node1.key")
        os.chmod(key, 0o644)
        half = ["--tls-cert", os.path.join(self.certs, "controller.pem")]
        cases = [
            ([CONTROLLER, *self.tls("node1")], "chmod 600 " + key),
            ([KVSTORE, "--nu-join", "127.0.0.1:1", *self.node("node1")],
             "chmod 600 " + key),
            ([CONTROLLER, *half], "the key file is not given"),
            ([NUCTL, "--controller", "127.0.0.1:1", *half, "status"],
             "the key file is not given"),
        ]
        for args, reason in cases:
            status, _, err = h.run(args)
            self.assertEqual(status, 2, f"{args}: {err}")
            self.assertIn(reason, err)


if __name__ == "__main__":
    KVSTORE, CONTROLLER, NUCTL, MAKE_CERTS = sys.argv[1:5]
    unittest.main(argv=sys.argv[:1])
