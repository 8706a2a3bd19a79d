"""Ingest speed: simulated sticks (bundle format 2, sealed to a centre key made for the run)
through `synaq-centre ingest`, against the room's own check alone (`verify_bundle`: every file
hashed, the signature checked; nothing opened) as the floor, in one run.

    python bench/centre_ingest.py --schools 150      # 300 bundles (grades 4 and 9)
    python bench/centre_ingest.py --schools 5 --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


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
        started = time.perf_counter()
        assert all(verify_bundle(b).ok for b in bundles)
        verify_s = time.perf_counter() - started
        runs = {}
        for jobs in (1, os.cpu_count() or 1):
            ds = Dataset(Path(tmp) / f"ds-{jobs}")
            report = ingest([sticks], ds, bank, key=key, jobs=jobs)
            assert report.count(ADDED) == made.bundles, [o.reason for o in report.refused]
            runs[jobs] = report.seconds
        again = ingest([sticks], ds, bank, key=key)
        assert again.count(ALREADY) == made.bundles
        files = len(list(ds.root.rglob("*.parquet")))
    fastest = min(runs.values())
    result = {"bundles": made.bundles, "students": made.students, "cpus": os.cpu_count(),
              "simulate_bundles_per_s": round(made.bundles / simulate_s, 1),
              "verify_only_bundles_per_s": round(made.bundles / verify_s, 1),
              "ingest_1_process_bundles_per_s": round(made.bundles / runs[1], 1),
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
