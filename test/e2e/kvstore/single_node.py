# nu-kvstore on one node (embedded controller): a seeded random command
# sequence checked against a model, expiry, redis-cli's exact output,
# pipelining, malformed input beside a working client, QUIT, SIGTERM.
# usage: /usr/bin/python3 single_node.py <nu-kvstore>
import random
import socket
import sys
import threading
import time
import unittest

import redis

import kvharness as h

KVSTORE = None
procs = None
server = None
port = None


def setUpModule():
    global procs, server, port
    procs = h.Processes()
    server = procs.start([KVSTORE, "--port", "0", "--shards", "8"])
    _, port = server.serving()


def tearDownModule():
    procs.__exit__(None, None, None)


def client():
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=20)


def raw(data, timeout=10):
    """Sends data on a fresh connection; what comes back until the server
    closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def cli(*args):
    status, out, err = h.run(["redis-cli", "-p", str(port), *args])
    assert status == 0, err
    return out


class Commands(unittest.TestCase):
    def test_random_sequence_matches_the_model(self):
        rng = random.Random(h.seed())
        r = client()
        r.flushall()
        keys = [b"k:%d" % i for i in range(150)]
        checker = h.Checker(rng, h.Model(), keys, lambda: r)
        try:
            for _ in range(3000):
                checker.step()
            checker.check_all(r)
        except AssertionError as e:
            raise AssertionError(f"seed {h.seed()}: {e}") from None

    def test_expired_keys_are_absent_everywhere(self):
        r = client()
        r.flushall()
        r.set("stays", "1", ex=1000)
        r.set("n", "5", px=100)
        r.mset({"a": "x", "b": "y"})
        r.set("a", "x", px=100)
        r.set("b", "y", px=100, xx=True)
        self.assertEqual(r.dbsize(), 4)
        time.sleep(0.3)
        self.assertEqual(r.get("a"), None)
        self.assertEqual(r.mget("a", "b", "stays"), [None, None, b"1"])
        self.assertEqual(r.exists("a", "b", "n"), 0)
        self.assertEqual(r.ttl("b"), -2)
        self.assertEqual(r.dbsize(), 1)
        self.assertIn("db0:keys=1,expires=1", cli("INFO", "keyspace"))
        self.assertEqual(r.delete("b"), 0)
        self.assertEqual(r.incr("n"), 1, "counts from 0 again")
        self.assertEqual(r.ttl("n"), -1)
        self.assertTrue(r.set("a", "new", nx=True))
        self.assertIsNone(r.set("gone", "v", xx=True))
        self.assertTrue(990 <= r.ttl("stays") <= 1000)

    def test_redis_cli_output(self):
        self.assertEqual(cli("PING"), "PONG\n")
        self.assertEqual(cli("SET", "cli:k", "hello world"), "OK\n")
        self.assertEqual(cli("GET", "cli:k"), "hello world\n")
        self.assertEqual(cli("GET", "cli:none"), "\n")
        cli("DEL", "cli:n")
        self.assertEqual(cli("INCR", "cli:n"), "1\n")
        self.assertEqual(cli("INCRBY", "cli:n", "41"), "42\n")
        self.assertEqual(cli("CONFIG", "GET", "save"), "save\n\n")
        self.assertEqual(cli("CONFIG", "GET", "appendonly"), "appendonly\nno\n")
        self.assertEqual(cli("CONFIG", "GET", "nosuch"), "\n")
        self.assertEqual(cli("ECHO", "hi"), "hi\n")
        info = cli("INFO")
        for field in ("redis_version:7.0.0", "nu_shards:8", "nu_nodes:1",
                      "nu_node:", "nu_migrations:0", "nu_proclet_heaps:",
                      "nu_proclet_heap_bytes:", "# Keyspace"):
            self.assertIn(field, info)
        self.assertNotIn("# Server", cli("INFO", "nu"))
        self.assertIn("nu_threaded_clients:0", cli("INFO", "clients"),
                      "on one node, every client stays on an event loop")

    def test_config_set_memory_limit(self):
        self.assertEqual(cli("CONFIG", "SET", "nu-mem-limit", "2gb"), "OK\n")
        self.assertIn("nu_mem_limit:2147483648", cli("INFO", "nu"))
        self.assertEqual(cli("CONFIG", "GET", "nu-mem-limit"),
                         "nu-mem-limit\n2147483648\n")
        self.assertIn("must be a memory value",
                      cli("CONFIG", "SET", "nu-mem-limit", "lots"))
        self.assertEqual(cli("CONFIG", "SET", "nu-mem-limit", "0"), "OK\n")

    def test_pipeline_of_a_thousand(self):
        r = client()
        p = r.pipeline(transaction=False)
        for i in range(500):
            p.set(f"pipe:{i}", i)
            p.incr(f"pipe:{i}")
        replies = p.execute()
        self.assertEqual(len(replies), 1000)
        self.assertEqual(replies[0::2], [True] * 500)
        self.assertEqual(replies[1::2], list(range(1, 501)))
        self.assertEqual(r.mget([f"pipe:{i}" for i in range(0, 500, 100)]),
                         [b"1", b"101", b"201", b"301", b"401"])

    def test_errors_keep_the_connection(self):
        r = client()
        r.set("str", "abc")
        for call, message in [
                (lambda: r.incr("str"), "value is not an integer or out of range"),
                (lambda: r.execute_command("GET"),
                 "wrong number of arguments for 'get' command"),
                (lambda: r.execute_command("SET", "a", "b", "EX", "0"),
                 "invalid expire time in 'set' command"),
                (lambda: r.execute_command("SET", "a", "b", "NX", "XX"),
                 "syntax error"),
                (lambda: r.execute_command("SELECT", "1"),
                 "DB index is out of range"),
                (lambda: r.execute_command("NOSUCH", "x", "y"),
                 "unknown command 'NOSUCH', with args beginning with: 'x' 'y' ")]:
            with self.assertRaises(redis.ResponseError) as e:
                call()
            self.assertEqual(str(e.exception), message)
        self.assertTrue(r.ping())
        self.assertTrue(r.execute_command("SELECT", "0"))

    def test_malformed_input_beside_a_working_client(self):
        stop = threading.Event()
        done = []

        def work():
            r = client()
            while not stop.is_set():
                n = len(done)
                r.set("side", n)
                assert r.get("side") == str(n).encode()
                done.append(n)

        side = threading.Thread(target=work)
        side.start()
        try:
            cases = [
                (b"*x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
                (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
                (b"*2\r\n$3\r\nGET\r\n$536870913\r\n",
                 b"-ERR Protocol error: invalid bulk length\r\n"),
                (b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
                (b"x" * (64 * 1024 + 1),
                 b"-ERR Protocol error: too big inline request\r\n"),
                (b"SET \"a b\r\n",
                 b"-ERR Protocol error: unbalanced quotes in request\r\n"),
                (b"PING\r\n*9999999\r\n",
                 b"+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"),
                (b"PING\r\nQUIT\r\nPING\r\n", b"+PONG\r\n+OK\r\n"),
            ]
            for sent, expected in cases:
                self.assertEqual(raw(sent), expected, sent[:40])
            self.assertEqual(
                raw(b"\x00\xff garbage\r\nGET\r\nping\r\nQUIT\r\n"),
                b"-ERR unknown command '\x00\xff', with args beginning with: "
                b"'garbage' \r\n"
                b"-ERR wrong number of arguments for 'get' command\r\n"
                b"+PONG\r\n+OK\r\n", "the connection goes on")
        finally:
            stop.set()
            side.join()
        self.assertGreater(len(done), 0, "the other client was served")

    def test_quit(self):
        r = client()
        self.assertTrue(r.execute_command("QUIT"))


class Shutdown(unittest.TestCase):
    def test_sigterm_ends_with_status_0(self):
        with h.Processes() as ps:
            p = ps.start([KVSTORE, "--port", "0"])
            p.serving()
            p.send_signal()
            self.assertEqual(p.finish(10), 0, p.stderr())


if __name__ == "__main__":
    KVSTORE = sys.argv.pop(1)
    unittest.main(verbosity=2)
