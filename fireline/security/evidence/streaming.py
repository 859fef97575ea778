"""Bytes in and out of the evidence store over HTTP without holding them.

An upload's request body is read by the event loop a block at a time and
handed to a worker thread that hashes and writes it into the store, a few
blocks behind: a disk image never sits in memory, and uvicorn's flow control
slows the client down to the disk's pace.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi import Request
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse

from fireline.core.errors import InvalidInput, TooLarge
from fireline.security.evidence.models import EvidenceItem
from fireline.security.evidence.store import EvidenceStore, Stored

BLOCK = 1024 * 1024  # what crosses from the event loop to the worker thread at once
PREFETCH = 4  # blocks read ahead while the disk writes
# Room the disk keeps after an upload, so evidence cannot fill it to the last byte.
DISK_RESERVE = 256 * 1024 * 1024


def declared_length(request: Request) -> int | None:
    header = request.headers.get("content-length")
    if header is None:
        return None
    if not header.isdigit():
        raise InvalidInput("Content-Length must be a number of bytes", field="content-length")
    return int(header)


def check_room(root: Path, declared: int | None, limit: int) -> None:
    """Refuse before reading a byte: too large for the limit or for the disk."""
    if declared is None:
        return
    if limit and declared > limit:
        raise TooLarge(
            f"evidence uploads are limited to {_size(limit)}; this one is {_size(declared)}"
        )
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if declared > free - DISK_RESERVE:
        raise TooLarge(
            f"the evidence store has {_size(max(0, free - DISK_RESERVE))} to spare; "
            f"this upload is {_size(declared)}"
        )


async def receive_into(
    store: EvidenceStore, request: Request, limit: int, extra: tuple[str, ...] = ()
) -> Stored:
    """Stream the request body into ``store``: the event loop reads the body
    while a worker thread hashes and writes what came before, with at most
    :data:`PREFETCH` blocks in between. TooLarge past ``limit`` bytes (0: no
    limit), whatever Content-Length said; a client that goes away, or a full
    disk, leaves nothing behind."""
    send, receive = anyio.create_memory_object_stream[bytes | Exception](PREFETCH)
    whole = anyio.Event()  # set once the last byte has been read

    async def read() -> None:
        async with send:
            try:
                received, parts, size = 0, [], 0
                async for chunk in request.stream():
                    received += len(chunk)
                    if limit and received > limit:
                        raise TooLarge(f"evidence uploads are limited to {_size(limit)}")
                    parts.append(chunk)
                    size += len(chunk)
                    if size >= BLOCK:
                        await send.send(b"".join(parts))
                        parts, size = [], 0
                if parts:
                    await send.send(b"".join(parts))
                whole.set()
            except Exception as exc:  # the writer raises it, and stores nothing
                await send.send(exc)

    def blocks() -> Iterator[bytes]:
        while True:
            try:
                block = anyio.from_thread.run(receive.receive)
            except anyio.EndOfStream:
                if not whole.is_set():
                    raise ClientDisconnect() from None  # cut short: keep nothing
                return
            if isinstance(block, Exception):
                raise block
            yield block

    failure: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(read)
        try:
            stored = await anyio.to_thread.run_sync(lambda: store.put(blocks(), extra=extra))
        except Exception as exc:  # raised outside the group, unwrapped
            failure = exc
        group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return stored


def download_response(item: EvidenceItem, chunks: Iterator[bytes]) -> StreamingResponse:
    """Always an attachment of type application/octet-stream: an uploaded
    HTML file must never render as a page of this site."""
    name = item.file_name or f"{item.ref}.bin"
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name
    )
    headers = {
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}",
        "Content-Length": str(item.size or 0),
        "X-Evidence-Item": item.ref,
        "X-Evidence-SHA256": item.sha256 or "",
        "Cache-Control": "no-store",
    }
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_size(count: int | None) -> str:
    return "–" if count is None else _size(count)
