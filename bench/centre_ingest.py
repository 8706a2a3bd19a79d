"""Ingest speed: simulated sticks (bundle format 2, sealed to a centre key made for the run)
through `synaq-centre ingest`, against the room's own check alone (`verify_bundle`: every file
hashed, the signature checked; nothing opened) as the floor, in one run.

    python bench/centre_ingest.py --schools 150      # 300 bundles (grades 4 and 9)
    python bench/centre_ingest.py --schools 5 --json
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def open_everything(bundle: Path, private: bytes) -> int:
    """What format 2 adds to reading a bundle: every sealed file and every questionnaire
    response opened with the centre's key. Returns the responses opened."""
    from room_protocol.responses import open_response
    from room_protocol.seal import open_sealed
    from room_server.bundle import SEALED_SUFFIX, sealed_info
    for path in bundle.rglob("*" + SEALED_SUFFIX):
        name = path.relative_to(bundle).as_posix().removesuffix(SEALED_SUFFIX)
        open_sealed(private, path.read_bytes(), sealed_info(name))
    lines = (bundle / "questionnaire.jsonl").read_text("utf-8").splitlines()
    for line in lines:
        open_response(private, base64.b64decode(json.loads(line)["sealed"]))
    return len(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=150)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from centre.dataset import Dataset
    from centre.ingest import ADDED, ALREADY, find_bundles, ingest
    from centre.itembank import ItemBank
    from centre.keys import new_key_pair
    from centre.simulate import simulate_bundles
    from room_server.bundle_verify import verify_bundle

    bank = ItemBank.load()
    with tempfile.TemporaryDirectory(prefix="synaq-bench-") as tmp:
        sticks = Path(tmp) / "sticks"
        key = new_key_pair(Path(tmp) / "centre-key")
        started = time.perf_counter()
        made = simulate_bundles(sticks, schools=args.schools, seed=11, bank=bank, centre_key=key.public)
        simulate_s = time.perf_counter() - started
        bundles = find_bundles([sticks])
        started, started_cpu = time.perf_counter(), time.process_time()
        assert all(verify_bundle(b).ok for b in bundles)
        verify_s, verify_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        started_cpu = time.process_time()
        responses = sum(open_everything(b, key.private) for b in bundles)
        open_cpu = time.process_time() - started_cpu
        runs, cpu = {}, {}
        for jobs in (1, os.cpu_count() or 1):
            ds = Dataset(Path(tmp) / f"ds-{jobs}")
            started_cpu = time.process_time()  # one process reads in this one: its CPU is the work's
            report = ingest([sticks], ds, bank, key=key, jobs=jobs)
            cpu[jobs] = time.process_time() - started_cpu
            assert report.count(ADDED) == made.bundles, [o.reason for o in report.refused]
            runs[jobs] = report.seconds
        again = ingest([sticks], ds, bank, key=key)
        assert again.count(ALREADY) == made.bundles
        files = len(list(ds.root.rglob("*.parquet")))
    fastest = min(runs.values())
    result = {"bundles": made.bundles, "students": made.students, "cpus": os.cpu_count(),
              "simulate_bundles_per_s": round(made.bundles / simulate_s, 1),
              "verify_only_bundles_per_s": round(made.bundles / verify_s, 1),
              "verify_only_cpu_ms_per_bundle": round(1000 * verify_cpu / made.bundles, 1),
              "open_sealed_only_cpu_ms_per_bundle": round(1000 * open_cpu / made.bundles, 1),
              "questionnaire_responses_per_bundle": round(responses / made.bundles, 1),
              "ingest_1_process_bundles_per_s": round(made.bundles / runs[1], 1),
              "ingest_cpu_ms_per_bundle": round(1000 * cpu[1] / made.bundles, 1),
              "ingest_bundles_per_s": round(made.bundles / fastest, 1),
              "ingest_students_per_s": round(made.students / fastest),
              "again_all_duplicates_bundles_per_s": round(made.bundles / again.seconds, 1),
              "parquet_files": files, "load_average": os.getloadavg()[0]}
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:36} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
