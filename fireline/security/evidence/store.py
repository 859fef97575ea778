"""Evidence files, stored by their SHA-256 under a configurable directory.

A file is hashed while it streams in, a chunk at a time: a multi-gigabyte
disk image never sits in memory. It is written to a temporary file in the
store, flushed to disk, then moved into place under its hash and made
read-only; the same bytes uploaded twice are stored once. Reading it back
hashes it again, so a file whose bytes changed on disk is named, not served.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
EXTRA_ALGORITHMS = ("sha1", "md5")  # for tools that still want them


class EvidenceTampered(Exception):
    """The stored bytes no longer hash to what was recorded."""

    def __init__(self, sha256: str, found: str) -> None:
        super().__init__(f"evidence {sha256[:12]}… now hashes to {found[:12]}…")
        self.sha256, self.found = sha256, found


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    sha1: str | None = None
    md5: str | None = None


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 digest")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def put(self, chunks: Iterable[bytes], *, extra: Iterable[str] = ()) -> Stored:
        """Store what ``chunks`` yields; returns its hashes and size."""
        wanted = [a for a in extra if a in EXTRA_ALGORITHMS]
        digests = {"sha256": hashlib.sha256(), **{a: hashlib.new(a) for a in wanted}}
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        size = 0
        handle, temporary = tempfile.mkstemp(dir=incoming)
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks:
                    for digest in digests.values():
                        digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digests["sha256"].hexdigest()
            final = self.path_of(sha256)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                os.unlink(temporary)  # the same bytes are here already
            else:
                os.chmod(temporary, stat.S_IRUSR | stat.S_IRGRP)
                os.replace(temporary, final)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        found = {a: digests[a].hexdigest() for a in wanted}
        return Stored(sha256, size, found.get("sha1"), found.get("md5"))

    def read(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes, a chunk at a time, checked as they go: raises
        :class:`EvidenceTampered` after the last chunk if they changed (a
        caller streaming to someone must treat that as a failed download)."""
        digest = hashlib.sha256()
        with self.path_of(sha256).open("rb") as stored:
            while chunk := stored.read(CHUNK):
                digest.update(chunk)
                yield chunk
        if digest.hexdigest() != sha256:
            raise EvidenceTampered(sha256, digest.hexdigest())

    def verify(self, sha256: str) -> str | None:
        """None when the stored bytes still hash to ``sha256``; otherwise what
        is wrong, in words."""
        return describe(sha256, self.hash_now(sha256))

    def hash_now(self, sha256: str) -> str | None:
        """What the bytes stored for ``sha256`` hash to now; None when they are gone."""
        path = self.path_of(sha256)
        digest = hashlib.sha256()
        try:
            with path.open("rb") as stored:
                while chunk := stored.read(CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            return None
        return digest.hexdigest()


def describe(expected: str, found: str | None) -> str | None:
    """None when ``found`` is ``expected``; otherwise what is wrong, in words."""
    if found is None:
        return "missing from the evidence store"
    if found != expected:
        return f"changed: now hashes to {found}"
    return None


def chunks_of(stream: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk
