"""Reading facts files: 1M rows of CSV and of Parquet through ``load_facts``.

For each size a seeded facts file of the example court ruleset is written once
as CSV and once as Parquet (not timed); then, each in a fresh process (so peak
memory is the reader's own), ``load_facts`` reads and validates it exactly as
``kaohe run --facts`` does. Prints seconds, rows per second and the peak
resident memory of the reading process, and checks both formats give the same
facts hash (the same run id).

    .venv/bin/python benchmarks/bench_read.py                    # 1M rows
    .venv/bin/python benchmarks/bench_read.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_stages import RULESET, write_facts


def peak_mb() -> float:
    """This process's peak resident memory in MiB (VmHWM: unlike getrusage's maxrss it is not
    carried over from the parent that wrote the files)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def write_parquet(csv_path: Path, parquet_path: Path) -> None:
    """The same rows as Parquet (what a 数据中台 exports)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    pq.write_table(pacsv.read_csv(csv_path), parquet_path)


def read_one(path: Path) -> dict[str, object]:
    """Read ``path`` as ``kaohe run`` does; time and memory of this process."""
    from kaohe.engine.facts import load_facts
    from kaohe.engine.ruleset import load_ruleset

    model = load_ruleset(RULESET).model
    before = peak_mb()
    t = time.perf_counter()
    facts = load_facts(path, model.facts, model.categories, period_kind=model.period, period="2025Q1")
    seconds = time.perf_counter() - t
    return {"rows": len(facts), "seconds": seconds, "peak_mb": peak_mb(), "start_mb": before,
            "sha256": facts.sha256}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--seed", type=int, default=20250101)
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(read_one(args.one)))
        return
    print(f"{'rows':>10} {'format':<8}{'seconds':>9}{'rows/s':>13}{'peak RSS MiB':>14}{'(at start)':>12}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            csv_path, parquet_path = Path(tmp) / "facts.csv", Path(tmp) / "facts.parquet"
            write_facts(csv_path, n, args.seed, "2025Q1")
            write_parquet(csv_path, parquet_path)
            hashes = set()
            for path in (csv_path, parquet_path):
                proc = subprocess.run([sys.executable, __file__, "--one", str(path)],
                                      capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    print(f"{n} rows of {path.suffix}: failed\n{proc.stderr[-3000:]}", file=sys.stderr)
                    continue
                fig = json.loads(proc.stdout.strip().splitlines()[-1])
                hashes.add(fig["sha256"])
                secs = float(fig["seconds"])
                print(f"{n:>10,} {path.suffix[1:]:<8}{secs:>9.2f}{n / secs:>13,.0f}"
                      f"{float(fig['peak_mb']):>14,.0f}{float(fig['start_mb']):>12,.0f}")
            if len(hashes) > 1:
                print(f"{n} rows: CSV and Parquet gave different facts hashes", file=sys.stderr)
                raise SystemExit(1)


if __name__ == "__main__":
    main()
