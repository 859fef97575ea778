"""Verify a `fireline audit export` file offline, with nothing but Python's standard library.

Usage: python3 verify_audit_export.py audit.jsonl
"""

import hashlib
import json
import sys

HASHED = (
    "seq",
    "at",
    "actor_type",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "changes",
)

prev, expected_seq = "0" * 64, 1
with open(sys.argv[1], encoding="utf-8") as export:
    for line in export:
        record = json.loads(line)
        body = json.dumps(
            {k: record[k] for k in HASHED},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        digest = hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
        if record["seq"] != expected_seq or record["prev_hash"] != prev or record["hash"] != digest:
            sys.exit(f"record {record['seq']}: does not verify (expected record {expected_seq})")
        prev, expected_seq = digest, expected_seq + 1
print(f"OK: {expected_seq - 1} records, head {expected_seq - 1}:{prev}")
