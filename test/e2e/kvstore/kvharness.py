# Shared by the nu-kvstore end-to-end tests: starting processes and reading
# their output lines, stopping every one of them, and a Python model of the
# store that a seeded random sequence of commands is checked against.
import os
import re
import signal
import subprocess
import threading
import time

import redis

SERVING = re.compile(rb"nu-kvstore: node (\d+) serving RESP at ([^:]+):(\d+)")


class Process:
    """A child process whose stdout lines are collected as they come."""

    def __init__(self, args):
        self.args = args
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = []
        self.err = []
        self.cond = threading.Condition()
        self.readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout,
                                                      self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr,
                                                      self.err), daemon=True)]
        for r in self.readers:
            r.start()

    def _read(self, stream, into):
        for line in iter(stream.readline, b""):
            with self.cond:
                into.append(line)
                self.cond.notify_all()
        with self.cond:
            into.append(None)  # end of stream
            self.cond.notify_all()

    def wait_line(self, pattern, timeout=20):
        """The first stdout line matching pattern (a compiled bytes regex)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    m = line and pattern.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or None in self.lines:
                    raise AssertionError(
                        f"{self.args}: no line like {pattern.pattern!r}; "
                        f"stdout {self.lines}, stderr {self.stderr()}")
                self.cond.wait(left)

    def serving(self, timeout=20):
        """(node, port) from the 'serving RESP' line."""
        m = self.wait_line(SERVING, timeout)
        return int(m.group(1)), int(m.group(3))

    def stderr(self):
        with self.cond:
            return b"".join(l for l in self.err if l).decode(errors="replace")

    def finish(self, timeout):
        """Waits for the exit; its status, or None if it did not exit."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        for r in self.readers:
            r.join(5)
        return status

    def send_signal(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for r in self.readers:
            r.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()


class Processes:
    """Every process a test started; all killed on exit, whatever happens."""

    def __init__(self):
        self.all = []

    def start(self, args):
        p = Process(args)
        self.all.append(p)
        return p

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.all:
            p.kill()
        return False


def write_secret(directory, name, text, mode=0o600):
    """A secret file (one line of text), by default readable by its owner
    only; its path."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, mode)
    return path


def run(args, timeout=20):
    """Runs a command to its end: (status, stdout, stderr) as text."""
    r = subprocess.run(args, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def seed():
    """The random seed: $KV_SEED, else a fixed one (printed on failure)."""
    return int(os.environ.get("KV_SEED", "20261122"))


# ---------------------------------------------------------------- the model

INT_RE = re.compile(rb"^(0|-?[1-9][0-9]*)$")
INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1


def as_int(value):
    """The integer in value as Redis reads it, or None."""
    if len(value) > 20 or not INT_RE.match(value):
        return None
    n = int(value)
    return n if INT_MIN <= n <= INT_MAX else None


class Model:
    """What a correct server holds: key -> value (bytes)."""

    def __init__(self):
        self.data = {}

    def set(self, key, value, nx=False, xx=False):
        present = key in self.data
        if (nx and present) or (xx and not present):
            return None
        self.data[key] = value
        return True

    def get(self, key):
        return self.data.get(key)

    def delete(self, keys):
        return sum(1 for k in set(keys) if self.data.pop(k, None) is not None)

    def exists(self, keys):
        return sum(1 for k in keys if k in self.data)

    def incrby(self, key, delta):
        """The new value, or an exception message the server must give."""
        old = as_int(self.data.get(key, b"0"))
        if old is None:
            return "value is not an integer or out of range"
        new = old + delta
        if not INT_MIN <= new <= INT_MAX:
            return "increment or decrement would overflow"
        self.data[key] = str(new).encode()
        return new


def random_value(rng):
    kind = rng.random()
    if kind < 0.3:
        return str(rng.randint(-1000, 1000)).encode()
    if kind < 0.4:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 20)))
    if kind < 0.45:
        return b"with space\r\nand newline"
    return ("v%d" % rng.randrange(10**6)).encode() * rng.randint(1, 4)


class Checker:
    """Runs one random command against a redis-py client and the model,
    and checks that they agree. pick_client() gives the client per command
    (the cluster test spreads them over the nodes)."""

    def __init__(self, rng, model, keys, pick_client, global_ops=True):
        self.rng, self.model, self.keys = rng, model, keys
        self.pick_client = pick_client
        self.global_ops = global_ops  # DBSIZE and FLUSHALL touch every key
        self.ops = 0

    def key(self):
        return self.rng.choice(self.keys)

    def some_keys(self):
        return [self.key() for _ in range(self.rng.randint(1, 4))]

    def step(self):
        r, rng, m = self.pick_client(), self.rng, self.model
        self.ops += 1
        op = rng.random()
        if op < 0.25:
            k, v = self.key(), random_value(rng)
            mode = rng.choice([None, None, None, "nx", "xx", "ex"])
            if mode == "ex":
                got = r.set(k, v, ex=1000)
                expected = m.set(k, v)
                ttl = r.ttl(k)
                assert 990 <= ttl <= 1000, (k, ttl)
            else:
                got = r.set(k, v, nx=mode == "nx", xx=mode == "xx")
                expected = m.set(k, v, nx=mode == "nx", xx=mode == "xx")
            self.expect(("SET", k, mode), got, expected)
        elif op < 0.45:
            k = self.key()
            self.expect(("GET", k), r.get(k), m.get(k))
        elif op < 0.52:
            ks = self.some_keys()
            self.expect(("DEL", ks), r.delete(*ks), m.delete(ks))
        elif op < 0.59:
            ks = self.some_keys()
            self.expect(("EXISTS", ks), r.exists(*ks), m.exists(ks))
        elif op < 0.75:
            k = self.key()
            delta = rng.choice([1, -1, rng.randint(-10**6, 10**6),
                                INT_MAX])
            expected = m.incrby(k, delta)
            try:
                if delta == 1:
                    got = r.incr(k)
                elif delta == -1:
                    got = r.decr(k)
                else:
                    got = r.incrby(k, delta)
            except redis.ResponseError as e:
                got = str(e)
            self.expect(("INCRBY", k, delta), got, expected)
        elif op < 0.85:
            ks = self.some_keys()
            self.expect(("MGET", ks), r.mget(ks), [m.get(k) for k in ks])
        elif op < 0.95:
            pairs = {self.key(): random_value(rng)
                     for _ in range(rng.randint(1, 4))}
            self.expect(("MSET", pairs), r.mset(pairs), True)
            for k, v in pairs.items():
                m.set(k, v)
        elif op < 0.998 or not self.global_ops:
            if self.global_ops:
                self.expect(("DBSIZE",), r.dbsize(), len(m.data))
        else:
            self.expect(("FLUSHALL",), r.flushall(), True)
            m.data.clear()

    def expect(self, what, got, expected):
        assert got == expected, \
            f"op {self.ops} {what}: server {got!r}, model {expected!r}"

    def check_all(self, r):
        """Every key of the pool reads as the model says."""
        got = r.mget(self.keys)
        for k, v in zip(self.keys, got):
            self.expect(("final GET", k), v, self.model.get(k))
