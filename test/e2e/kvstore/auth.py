# nu-kvstore with --requirepass, as Redis's requirepass: NOAUTH before AUTH,
# WRONGPASS for a bad one, CONFIG SET requirepass for the next clients.
# usage: /usr/bin/python3 auth.py <nu-kvstore>
import sys
import unittest

import redis

import kvharness as h

KVSTORE = None


class Auth(unittest.TestCase):
    def test_requirepass(self):
        with h.Processes() as ps:
            server = ps.start([KVSTORE, "--port", "0", "--shards", "4",
                               "--requirepass", "s3cret"])
            port = server.serving()[1]
            anonymous = redis.Redis(port=port)
            for command in (["GET", "k"], ["SET", "k", "v"], ["DBSIZE"],
                            ["CONFIG", "GET", "requirepass"]):
                with self.assertRaisesRegex(redis.AuthenticationError,
                                            "Authentication required"):
                    anonymous.execute_command(*command)
            with self.assertRaisesRegex(redis.ResponseError, "unknown command"):
                anonymous.execute_command("NOSUCHCOMMAND")
            for attempt in (["AUTH", "wrong"], ["AUTH", "s3cre"],
                            ["AUTH", "s3cret!"], ["AUTH", "admin", "s3cret"]):
                with self.assertRaisesRegex(redis.ResponseError, "WRONGPASS"):
                    anonymous.execute_command(*attempt)

            admin = redis.Redis(port=port, password="s3cret")
            self.assertTrue(admin.set("k", "v"))
            self.assertEqual(admin.get("k"), b"v")
            named = redis.Redis(port=port, username="default",
                                password="s3cret")
            self.assertEqual(named.get("k"), b"v")

            # A new password is for the next clients; admin stays in.
            self.assertTrue(admin.config_set("requirepass", "n3w"))
            self.assertEqual(admin.config_get("requirepass"),
                             {"requirepass": "n3w"})
            with self.assertRaises((redis.AuthenticationError,
                                    redis.ResponseError)):
                redis.Redis(port=port, password="s3cret").get("k")
            self.assertEqual(redis.Redis(port=port, password="n3w").get("k"),
                             b"v")
            self.assertTrue(admin.config_set("requirepass", ""))
            self.assertEqual(redis.Redis(port=port).get("k"), b"v")
            with self.assertRaisesRegex(redis.ResponseError,
                                        "without any password configured"):
                redis.Redis(port=port).execute_command("AUTH", "x")

            server.send_signal()
            self.assertEqual(server.finish(10), 0, server.stderr())


if __name__ == "__main__":
    KVSTORE = sys.argv[1]
    unittest.main(argv=sys.argv[:1])
