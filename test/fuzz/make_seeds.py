#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora, test/fuzz/corpus/<target>/: a few small
valid inputs each, encoded as docs/wire.md and docs/security.md say.

Run it again after a format change and commit what it writes.
"""
import pathlib
import shutil
import struct

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
MIB = 1 << 20
CHUNK = 4 * MIB  # kMigrationChunk

# --- cereal's binary archive as nu uses it: little-endian, lengths u64 ---


def u8(v): return struct.pack("<B", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def f64(v): return struct.pack("<d", v)
def boolean(v): return u8(1 if v else 0)
def string(s): return u64(len(s)) + s.encode()
def vec(items): return u64(len(items)) + b"".join(items)
def optional(v): return boolean(True) if v is None else boolean(False) + v


# --- frames (runtime/wire/include/nu/wire/frame.hpp) --------------------

KIND = {"Call": 1, "CallClosure": 2, "Create": 3, "Result": 4, "Error": 5,
        "Unavailable": 6, "Release": 7, "GrantWeight": 8, "Control": 9,
        "Migrate": 10, "Move": 11, "Hello": 12}
ONE_WAY, PINNED, FORWARDED, RELOCATED = 1, 2, 4, 8


def frame(kind, payload=b"", flags=0, request_id=0, proclet=0, target=0,
          aux=0):
    header = (struct.pack("<HBBIII", 0x554E, 1, KIND[kind], flags,
                          len(payload), 0) +
              struct.pack("<QQQQ", request_id, proclet, target, aux))
    return header + payload


def frame_seeds():
    return {
        "call": frame("Call", string("x") + u64(7), request_id=1, proclet=42,
                      target=0x1234_5678_9ABC_DEF0),
        "call-forwarded-3-hops": frame("Call", b"\x00" * 8,
                                       flags=FORWARDED | (3 << 8),
                                       request_id=2, proclet=42, target=9),
        "closure": frame("CallClosure", b"", request_id=3, proclet=1,
                         target=5, aux=6),
        "create-pinned": frame("Create", u64(1), flags=PINNED, request_id=4,
                               target=77, aux=1),
        "result-relocated": frame("Result", b"", flags=RELOCATED,
                                  request_id=4, target=3),
        "error": frame("Error", string("std::runtime_error") + string("boom"),
                       request_id=5),
        "release-one-way": frame("Release", flags=ONE_WAY, proclet=42,
                                 aux=1 << 32),
        "control": frame("Control", u64(1), request_id=6, target=9),
        "header-only": frame("Move", request_id=7, proclet=42, target=2),
        "truncated": frame("Unavailable", string("gone"), request_id=8)[:60],
    }


# --- the cluster handshake (runtime/net/Handshake.hpp) ------------------

NODE, CONTROLLER, TOOL = 1, 2, 3


def handshake_seeds():
    nonce = bytes(range(32))
    mac = bytes(range(100, 132))
    return {
        "hello-node": frame("Hello", u8(1) + u8(NODE) + nonce, request_id=1),
        "hello-tool": frame("Hello", u8(1) + u8(TOOL) + nonce[::-1],
                            request_id=1),
        "challenge": frame("Hello", u8(CONTROLLER) + nonce + mac,
                           request_id=2),
        "proof": frame("Hello", mac, request_id=3),
        "hello-as-step-2": frame("Hello", u8(1) + u8(NODE) + nonce,
                                 request_id=2),
    }


# --- the controller protocol (controller/Protocol.hpp) ------------------

def capacity(): return u64(16 << 30) + u32(4)
def load(free=8 << 30, cpu=0.25, count=3):
    return u64(free) + f64(cpu) + u64(count)


def hello(n):
    return (string(f"node{n}:7000") + capacity() + string("build") +
            string("schema"))


def peer(n): return u32(n) + string(f"node{n}:7000") + string(f"10.0.0.{n}:6379")


def node_info(n, state=0):
    return (u32(n) + string(f"node{n}:7000") + string(f"10.0.0.{n}:6379") +
            capacity() + load() + u64(5) + u8(state) + boolean(state == 0))


def request(op, payload=b""): return u8(op - 1) + payload
def reply(op, payload): return u8(0x80 | (op - 1)) + payload
def status_ok(): return boolean(True) + u8(1) + string("")


def controller_seeds():
    report = (u32(1) + hello(1) + load() + u64(5) +
              vec([u64(3) + u64(1), u64(5) + u64(2)]))
    return {
        "join": request(1, hello(3) + boolean(False) + load()),
        "join-main": request(1, hello(3) + boolean(True) + load()),
        "rejoin": request(2, report + boolean(False)),
        "heartbeat": request(3, u32(1) + load(cpu=0.9) + string("")),
        "heartbeat-published": request(3, u32(1) + load() +
                                       string("127.0.0.1:6379")),
        "leave": request(4, u32(2)),
        "leaving": request(16, u32(1)),
        "place": request(5, optional(None) + u64(1 << 20) + optional(u32(1))),
        "place-on": request(5, optional(u32(2)) + u64(0) + optional(None)),
        "grant-ids": request(6, u32(1)),
        "register": request(7, vec([u64(9) + u32(1) + u64(1),
                                    u64(10) + u32(2) + u64(3)])),
        "unregister": request(8, vec([u64(1), u64(2)])),
        "resolve": request(9, u64(1)),
        "status": request(10),
        "end-process": request(11),
        "claim": request(13, u64(9) + u32(1) + u64(2)),
        "place-many": request(14, u32(1) + u64(0) + u32(8)),
        "resolve-many": request(15, vec([u64(1), u64(99), u64(2)])),
        "reply-join": reply(1, status_ok() + u32(3) + u64(1) + u64(1001) +
                            vec([peer(1), peer(3)]) + u32(500)),
        "reply-membership": reply(3, status_ok() + vec([peer(1), peer(2)])),
        "reply-status": reply(10, status_ok() +
                              vec([node_info(1), node_info(2, 2)]) + u64(4)),
        "reply-claim": reply(13, status_ok() + boolean(True)),
        "reply-place-many": reply(14, status_ok() + vec([u32(1), u32(2)])),
        "reply-resolve-many": reply(15, status_ok() +
                                    vec([u32(1) + u64(1), u32(0) + u64(0)])),
        "reply-refused": reply(6, boolean(False) + u8(13) +
                               string("id grant for node 1 refused")),
    }


# --- migration chunks (runtime/migrate/Transfer.hpp) -------------------

def chunk(offset, length, total, sender=1, transfer=7, weight=1 << 20):
    info = (u32(sender) + u64(transfer) + u64(offset) + u64(total) +
            u64(2) + u64(weight) + boolean(False))
    return info + u32(length)


def migration_seeds():
    total = 2 * CHUNK + 100
    return {
        "in-order": chunk(0, CHUNK, CHUNK + 100) + chunk(CHUNK, 100,
                                                         CHUNK + 100),
        "out-of-order": (chunk(2 * CHUNK, 100, total) +
                         chunk(0, CHUNK, total) + chunk(CHUNK, CHUNK, total)),
        "repeat": chunk(0, CHUNK, total) + chunk(0, CHUNK, total),
        "past-window": chunk(0, CHUNK, 8 * CHUNK) + chunk(5 * CHUNK, CHUNK,
                                                          8 * CHUNK),
        "two-transfers": (chunk(0, CHUNK, CHUNK + 1, transfer=1) +
                          chunk(0, CHUNK, CHUNK + 2, transfer=2) +
                          chunk(CHUNK, 2, CHUNK + 2, transfer=2) +
                          chunk(CHUNK, 1, CHUNK + 1, transfer=1)),
        "other-total": chunk(0, CHUNK, total) + chunk(CHUNK, CHUNK, total + 1),
        "whole": chunk(0, 100, 100),
    }


# --- RESP (examples/kvstore/Resp.hpp); byte 0 seeds the piece sizes ----

def resp_seeds():
    return {
        "ping": b"\x10*1\r\n$4\r\nPING\r\n",
        "set-byte-by-byte": (b"\x00*3\r\n$3\r\nSET\r\n$1\r\nk\r\n"
                             b"$5\r\nhello\r\n"),
        "pipelined": b"\x05*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n"
                     b"PING\r\n",
        "inline-quotes": b"\x03SET \"a b\\x41\\n\" 'it\\'s'\r\n",
        "empty": b"\x02*0\r\n\r\n*-1\r\n",
        "big-count": b"\x08*1048576\r\n$3\r\nfoo\r\n",
        "big-bulk": b"\x08*1\r\n$536870912\r\nabc",
        "bad-dollar": b"\x01*1\r\n#3\r\nabc\r\n",
    }


def write(target, seeds):
    out = CORPUS / target
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name, data in seeds.items():
        (out / name).write_bytes(data)


def main():
    write("fuzz_frame", frame_seeds())
    write("fuzz_handshake", handshake_seeds())
    write("fuzz_controller", controller_seeds())
    write("fuzz_migration_chunk", migration_seeds())
    write("fuzz_resp", resp_seeds())


if __name__ == "__main__":
    main()
