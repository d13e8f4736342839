"""Applies a CI profile's constraints, then execs the real interpreter (stdlib, Python 3.9).

The engine copies this file into a scratch directory behind a shebang naming the target's
interpreter and passes that file as the interpreter of the run, so every process of the run
(the version probe, pytest, its workers) starts constrained. Constraints come from the JSON
spec next to it: CPU affinity, RLIMIT_AS, a scrubbed environment, a new network namespace.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import resource
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def _new_network_namespace() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, "unshare(CLONE_NEWNET): " + os.strerror(code))
    _loopback_up()


def main(spec_path: str, real_python: str, argv: list[str]) -> None:
    with open(spec_path, encoding="utf-8") as stream:
        spec = json.load(stream)
    if spec.get("cpus"):
        os.sched_setaffinity(0, set(spec["cpus"]))
    if spec.get("memory_limit_mb"):
        limit = int(spec["memory_limit_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if spec.get("network_namespace"):
        try:
            _new_network_namespace()
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EINVAL, errno.ENOSYS):
                raise
            sys.stderr.write(f"remediation: no network namespace ({exc}); run unblocked\n")
            sys.exit(3)
    env = dict(os.environ)
    keep = spec.get("keep_env")
    if keep is not None:
        env = {k: v for k, v in env.items() if k in keep or k.startswith("REMEDIATION_")}
    env.update(spec.get("set_env") or {})
    os.execve(real_python, [real_python, *argv], env)  # noqa: S606  the target's own python
