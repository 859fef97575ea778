"""The evidence store: content-addressed, hashed while streaming, read-only,
and checked again on every read."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from fireline.security.evidence.store import EvidenceStore, EvidenceTampered, chunks_of


def generated(megabytes: int) -> Iterator[bytes]:
    block = bytes(range(256)) * 4096  # 1 MiB
    for n in range(megabytes):
        yield block[n % 256 :] + block[: n % 256]


def test_a_file_is_stored_under_its_hash_read_only_with_the_hashes_asked_for(
    tmp_path: Path,
) -> None:
    store = EvidenceStore(tmp_path)
    data = b"memory image of laptop SN 4711\n" * 1000
    stored = store.put(chunks_of(io.BytesIO(data), 4096), extra=["sha1", "md5"])
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.sha1, stored.md5) == (
        hashlib.sha1(data).hexdigest(),
        hashlib.md5(data).hexdigest(),
    )
    assert stored.size == len(data)
    path = store.path_of(stored.sha256)
    assert path.read_bytes() == data
    assert oct(path.stat().st_mode & 0o777) == "0o440"
    assert b"".join(store.read(stored.sha256)) == data
    assert store.verify(stored.sha256) is None
    assert list((tmp_path / "incoming").iterdir()) == []


def test_the_same_bytes_twice_are_stored_once(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    first = store.put([b"same"])
    second = store.put([b"sa", b"me"])
    assert first == second
    assert len(list((tmp_path / "sha256").rglob("*" + first.sha256))) == 1


def test_changed_or_missing_bytes_are_named(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    stored = store.put([b"original evidence"])
    path = store.path_of(stored.sha256)
    os.chmod(path, 0o640)
    path.write_bytes(b"altered evidence!")
    problem = store.verify(stored.sha256)
    assert problem is not None and problem.startswith("changed: now hashes to ")
    with pytest.raises(EvidenceTampered):
        b"".join(store.read(stored.sha256))
    path.unlink()
    assert store.verify(stored.sha256) == "missing from the evidence store"


def test_a_failed_upload_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield b"part of an image"
        raise ConnectionResetError("the client went away")

    store = EvidenceStore(tmp_path)
    with pytest.raises(ConnectionResetError):
        store.put(broken())
    assert list((tmp_path / "incoming").iterdir()) == []
    assert not (tmp_path / "sha256").exists()


def test_a_large_file_streams_through_a_little_memory(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    tracemalloc.start()
    try:
        stored = store.put(generated(64))  # 64 MiB
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == 64 * 1024 * 1024
    assert peak < 8 * 1024 * 1024  # a few chunks, never the file


def test_only_sha256_digests_name_files(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    for bad in ("../../etc/passwd", "A" * 64, "abc"):
        with pytest.raises(ValueError):
            store.path_of(bad)
