"""Evidence uploads and downloads of a large file through a real `fireline serve`.

Uploads --size-mib (default 1,024: 1 GiB) through the API as one streamed
request body, downloads it back (hashed in full before the first byte, and
again as it streams), then has `GET /api/v1/evidence/verify` hash it once
more. Reports each one's throughput and the server process's resident
memory: idle, and its peak (VmHWM) after each step, which shows that the
file never sits in memory. Run it alone or through the runner:

    .venv/bin/python bench/evidence.py                      # SQLite, 1 GiB
    .venv/bin/python bench/evidence.py --size-mib 256 --postgres postgresql://postgres@127.0.0.1:5432/fireline_test
    .venv/bin/python bench/run.py evidence

The file's bytes are generated as they are sent (a random mebibyte, varied
per chunk), so the client holds one chunk at a time too.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from fireline.core.audit import Actor
from fireline.core.db import Database

MIB = 1024 * 1024
NOW = datetime(2026, 1, 1, tzinfo=UTC)
# The process stays as small as `fireline serve` after 2,000 requests (bench/run.py
# memory): a 1 GiB upload must not show in its memory at all.
PEAK_RSS_TARGET_MB = 200
# A disk image of 100 GB uploads in under a quarter of an hour at this rate.
UPLOAD_TARGET_MIB_S = 100


def chunks(size_mib: int, digest: Any) -> Iterator[bytes]:
    block = random.Random(7).randbytes(MIB)
    for n in range(size_mib):
        chunk = n.to_bytes(8, "big") + block[8:]  # each mebibyte differs
        digest.update(chunk)
        yield chunk


def _status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def _mb(pid: int, field: str) -> float:
    return _status_kb(pid, field) / 1024


def _setup(db: Database) -> tuple[str, str]:
    from fireline.core.clock import FixedClock
    from fireline.core.deps import principal_of
    from fireline.incidents import service as incidents
    from fireline.people import service as people
    from fireline.plan import default_plan

    with db.transaction() as session:
        admin = people.create_user(
            session,
            actor=Actor.system(),
            now=NOW,
            email="evidence-bench@example.com",
            name="Bench",
            role="admin",
        )
        token = people.create_token(session, actor=Actor.system(), now=NOW, user=admin, name="b")
        incident, _ = incidents.declare(
            session,
            default_plan(),
            principal_of(admin, "bench"),
            FixedClock(NOW).now(),
            incidents.Declaration(
                title="Bench exfiltration", type="data_exfiltration", severity="SEV2"
            ),
        )
        return token.secret, incident.ref


def run(db: Database, kind: str, size_mib: int = 1024) -> list[dict[str, Any]]:
    """The measurements, each a dict of name, value, unit, target and meets."""
    token, ref = _setup(db)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="fireline-evidence-bench-") as store_dir:
        env = {
            **os.environ,
            "FIRELINE_DATABASE_URL": db.url,
            "FIRELINE_EVIDENCE_DIR": store_dir,
            "FIRELINE_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "fireline", "serve", "--port", str(port), "--no-worker"],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base)
            return _measure(base, token, ref, server.pid, size_mib, kind)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("fireline serve did not start")


def _measure(
    base: str, token: str, ref: str, pid: int, size_mib: int, kind: str
) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = httpx.Timeout(30, read=None)
    size = size_mib * MIB
    with httpx.Client(base_url=base, headers=headers, timeout=timeout) as client:
        client.get("/api/v1/me").raise_for_status()
        idle = _mb(pid, "VmRSS")
        sent = hashlib.sha256()
        started = time.perf_counter()
        response = client.post(
            f"/api/v1/incidents/{ref}/evidence/upload",
            params={"type": "disk image", "filename": "bench.img"},
            content=chunks(size_mib, sent),
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
        )
        upload_s = time.perf_counter() - started
        response.raise_for_status()
        item = response.json()
        assert item["hashes"]["sha256"] == sent.hexdigest() and item["size"] == size
        peak_upload = _mb(pid, "VmHWM")

        received, got = 0, hashlib.sha256()
        started = time.perf_counter()
        with client.stream(
            "GET", f"/api/v1/incidents/{ref}/evidence/{item['ref']}/download"
        ) as download:
            download.raise_for_status()
            for chunk in download.iter_raw():
                got.update(chunk)
                received += len(chunk)
        download_s = time.perf_counter() - started
        assert received == size and got.hexdigest() == sent.hexdigest()
        peak_download = _mb(pid, "VmHWM")

        started = time.perf_counter()
        checked = client.get("/api/v1/evidence/verify").json()
        verify_s = time.perf_counter() - started
        assert checked["ok"] and checked["checked"] == 1
        peak = _mb(pid, "VmHWM")
    what = f"{size_mib:,} MiB"
    upload_rate = size_mib / upload_s
    return [
        _result(
            f"evidence upload {what}, streamed",
            round(upload_rate),
            "MiB/s",
            f">= {UPLOAD_TARGET_MIB_S} MiB/s",
            upload_rate >= UPLOAD_TARGET_MIB_S,
        ),
        _result(
            f"evidence download {what} (hashed twice)",
            round(size_mib / download_s),
            "MiB/s",
            "",
            True,
        ),
        _result(f"evidence verify {what}", round(size_mib / verify_s), "MiB/s", "", True),
        _result("serve RSS idle before the upload", round(idle), "MB", "", True),
        _result(
            "serve peak RSS during the upload",
            round(peak_upload),
            "MB",
            f"<= {PEAK_RSS_TARGET_MB} MB",
            peak_upload <= PEAK_RSS_TARGET_MB,
        ),
        _result(
            "serve peak RSS after download and verify",
            round(max(peak_download, peak)),
            "MB",
            f"<= {PEAK_RSS_TARGET_MB} MB",
            max(peak_download, peak) <= PEAK_RSS_TARGET_MB,
        ),
    ]


def _result(name: str, value: float, unit: str, target: str, meets: bool) -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit, "target": target, "meets": meets}


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import Result, fresh_database

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024, help="how much to upload (MiB)")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database")
    args = parser.parse_args()
    ok = True
    for kind in ["sqlite"] + (["postgresql"] if args.postgres else []):
        with fresh_database(kind, args.postgres) as db:
            for measured in run(db, kind, args.size_mib):
                result = Result(database=kind, **measured)
                ok = ok and result.meets
                mark = "ok  " if result.meets else "MISS"
                print(
                    f"{mark} {result.name:<45} {kind:<10} {result.value:>10,} {result.unit:<10} target {result.target}"
                )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
