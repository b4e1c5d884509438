#!/usr/bin/env python3
"""Fails if a file of one of nu's layers includes a header of a layer above.

The layers, bottom up (docs/architecture.md): log and wire, net, rpc,
controller, the proclet runtime. Each may include its own headers and those
of the layers below it. The build enforces the same through include
directories; this check also catches relative paths and headers that would
happen to resolve.
"""
import pathlib
import re
import sys

RANK = {"log": 0, "wire": 0, "net": 1, "rpc": 2, "controller": 3,
        "runtime": 4}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
WIRE_HEADERS = {"nu/detail/archive.hpp", "nu/detail/expected.hpp",
                "nu/detail/random.hpp", "nu/ids.hpp"}


def layer_of_path(root, path):
    rel = path.relative_to(root).parts
    if rel[0] == "controller":
        return "controller"
    if rel[0] == "runtime" and len(rel) > 1 and rel[1] in RANK:
        return rel[1]
    return "runtime"


def layer_of_include(root, source, name):
    if name in WIRE_HEADERS or name.startswith("nu/wire/"):
        return "wire"
    for prefix, layer in (("nu/log/", "log"), ("nu/net/", "net"),
                          ("nu/rpc/", "rpc"),
                          ("nu/transport_plugin.h", "net")):
        if name.startswith(prefix):
            return layer
    if name.startswith("nu/"):
        return "runtime"
    beside = (source.parent / name).resolve()
    if beside.exists():
        return layer_of_path(root, beside)
    for base in ("controller", "runtime", "runtime/net"):
        candidate = root / base / name
        if candidate.exists():
            return layer_of_path(root, candidate)
    return None  # a system or third-party header


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    files = [p for d in ("runtime", "controller")
             for p in (root / d).rglob("*")
             if p.suffix in (".cpp", ".hpp", ".h")]
    errors = []
    for source in sorted(files):
        own = layer_of_path(root, source)
        for name in INCLUDE.findall(source.read_text()):
            used = layer_of_include(root, source, name)
            if used and RANK[used] > RANK[own]:
                errors.append(f"{source.relative_to(root)}: the {own} layer "
                              f"includes \"{name}\" of the {used} layer")
            elif used and RANK[used] == RANK[own] and used != own:
                errors.append(f"{source.relative_to(root)}: the {own} layer "
                              f"includes \"{name}\" of the {used} layer")
    for line in errors:
        print(line)
    print(f"check_layers: {len(files)} files, {len(errors)} upward includes")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
