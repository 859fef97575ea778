"""Verify `fireline audit export` output: python3 verify_audit_export.py FILE [SEQ:HASH]"""

import hashlib
import json
import sys

anchor = sys.argv[2] if len(sys.argv) > 2 else None
prev, seq = "0" * 64, 0
with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        record, seq = json.loads(line), seq + 1
        fields = {k: v for k, v in record.items() if k not in ("prev_hash", "hash")}
        body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
        if (record.get("seq"), record.get("prev_hash"), record.get("hash")) != (seq, prev, digest):
            sys.exit(f"record {record.get('seq')} (line {seq}) does not verify")
        prev, anchor = digest, None if anchor == f"{seq}:{digest}" else anchor
if anchor:
    sys.exit(f"the chain does not hold the anchor {anchor}")
print(f"OK: {seq} records, head {seq}:{prev}")
