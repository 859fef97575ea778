"""`fireline serve --processes N`: N server processes, each with its own
listening socket on the same port (``SO_REUSEPORT``).

With one socket shared by every process (uvicorn's own ``--workers``), the
process that is least busy at the moment a connection arrives accepts it, and
monitoring clients keep their connections open: under a steady load one
process ended up with nearly all of them while the others idled. With a
socket each, the kernel spreads new connections over the processes by their
addresses. Linux admits only processes of the same user to the group.

The parent starts the children, replaces one that dies, and on SIGTERM or
SIGINT asks each to stop (uvicorn finishes the requests in hand) before it
exits itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

log = logging.getLogger("fireline.serve")
STOP_TIMEOUT_SECONDS = 30
RESTART_PAUSE_SECONDS = 1.0


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def listeners(port: int) -> int:
    """How many TCP sockets listen on this port (Linux's /proc/net/tcp*), for
    whoever must wait until every server process is ready."""
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def _child(app: str, options: dict[str, Any]) -> None:
    import uvicorn

    sock = listening_socket(options["host"], options["port"])
    config = uvicorn.Config(app, factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])


def run(app: str, count: int, options: dict[str, Any]) -> int:
    """Serve ``app`` (an import path of an app factory) from ``count`` processes
    until a signal; the exit status is the parent's."""
    # Fail here, once, if the port is taken by something that is not us.
    listening_socket(options["host"], options["port"]).close()
    spawn = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> BaseProcess:
        child = spawn.Process(target=_child, args=(app, options), name="fireline-serve")
        child.start()
        return child

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    children = [start() for _ in range(count)]
    try:
        while not stopping:
            wait([c.sentinel for c in children], timeout=0.5)
            for index, child in enumerate(children):
                if not stopping and child.exitcode is not None:
                    log.error(
                        "server process %s exited (%s); starting another", child.pid, child.exitcode
                    )
                    time.sleep(RESTART_PAUSE_SECONDS)
                    children[index] = start()
    finally:
        for child in children:
            if child.is_alive() and child.pid is not None:
                child.terminate()  # SIGTERM: uvicorn's graceful shutdown
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in children:
            child.join(max(0.0, deadline - time.monotonic()))
            if child.is_alive():
                child.kill()
                child.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
