"""The Dask engine: 1M units single-process vs Dask, and 10M units from Parquet through Dask.

Seeded synthetic communities (benchmarks/community.yaml) are written as
Parquet partitions of 1M rows (not timed).  A Dask scheduler and two workers
(one thread each, no nanny, so each is one measurable process) are started
here; ``kaohe run --engine dask --scheduler …`` runs against them, and the
same 1M units also run single-process.  Printed: wall time, and the peak RSS
of every process (client, scheduler, each worker; wait4), plus the load
average.  The single-process and the Dask JSON must be identical.

    .venv/bin/python benchmarks/bench_dask.py                 # 1M both ways, then 10M on Dask
    .venv/bin/python benchmarks/bench_dask.py --sizes 2000000 # a smaller "large" run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_run import KAOHE, RULESET, in_child, timed  # noqa: E402

PART = int(os.environ.get("KAOHE_BENCH_PART", 1_000_000))
BIN = Path(sys.executable).parent


def write_partitions(folder: Path, n: int, seed: int, part: int = PART) -> None:
    """``n`` units in Parquet files of at most ``part`` rows, ids unique across files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for k, start in enumerate(range(0, n, part)):
        m = min(part, n - start)
        rng = np.random.default_rng(seed + k)
        households = rng.integers(50, 3000, m)
        complaints = np.where(rng.random(m) < 0.05, 0, rng.integers(1, 120, m))
        ids = start + rng.permutation(m)
        pq.write_table(pa.table({
            "unit": [f"c{i:08d}" for i in ids],
            "name": [f"社区{i}" for i in ids],
            "category": np.where(rng.random(m) < 0.6, "urban", "rural"),
            "period": ["2025Q1"] * m,
            "households": households,
            "visits": (households * rng.uniform(0.1, 1.0, m)).astype(np.int64),
            "complaints": complaints,
            "resolved": (complaints * rng.uniform(0.5, 1.0, m)).astype(np.int64),
            "survey": np.round(rng.uniform(50, 100, m), 1),
            "violations": (rng.random(m) < 0.01).astype(np.int64),
            "awards": (rng.random(m) < 0.05).astype(np.int64),
        }), folder / f"part-{k:03d}.parquet")


def _same_bytes(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


class Cluster:
    """A scheduler and two single-threaded workers started here, each one process."""

    def __init__(self, folder: Path):
        self.file = folder / "scheduler.json"
        env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        self.scheduler = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--scheduler-file", str(self.file), "--no-dashboard",
             "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        for _ in range(600):
            if self.file.exists():
                break
            time.sleep(0.1)
        import json

        self.address = json.loads(self.file.read_text())["address"]
        self.workers = [subprocess.Popen(
            [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
             "--memory-limit", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            for _ in range(2)]
        time.sleep(5)

    def stop(self) -> dict[str, float]:
        """Stop everything; peak RSS (MiB) of each process."""
        peaks = {}
        for name, proc in [*((f"worker {i + 1}", w) for i, w in enumerate(self.workers)),
                           ("scheduler", self.scheduler)]:
            proc.terminate()
            _, _, usage = os.wait4(proc.pid, 0)
            peaks[name] = usage.ru_maxrss / 1024
        return peaks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000_000])
    ap.add_argument("--compare", type=int, default=1_000_000, help="units run both ways (0: skip)")
    ap.add_argument("--seed", type=int, default=20250101)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.compare:
            import pyarrow.parquet as pq

            parts = folder / "compare"
            in_child(write_partitions, parts, args.compare, args.seed, max(1, args.compare // 4))
            whole = folder / "whole.parquet"
            in_child(lambda: pq.write_table(pq.read_table(parts), whole))  # the same rows in one file
            secs, mb, _ = timed([str(KAOHE), "run", str(RULESET), "--facts", str(whole), "--db",
                                 f"sqlite:///{folder}/single.db", "--json"], stdout=folder / "single.json")
            print(f"\n== {args.compare:,} units (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}) ==")
            print(f"single process: {secs:.1f} s, peak RSS {mb:,.0f} MiB")
            cluster = Cluster(folder)
            try:
                d_secs, d_mb, _ = timed([str(KAOHE), "run", str(RULESET), "--facts", str(parts), "--engine", "dask",
                                         "--scheduler", cluster.address, "--db", f"sqlite:///{folder}/dask.db",
                                         "--json"], stdout=folder / "dask.json")
            finally:
                peaks = cluster.stop()
            print(f"dask (2 workers, 4 partitions): {d_secs:.1f} s, client peak RSS {d_mb:,.0f} MiB, "
                  + ", ".join(f"{k} {v:,.0f} MiB" for k, v in peaks.items()))
            same = in_child(_same_bytes, folder / "single.json", folder / "dask.json")
            print("JSON identical" if same else "JSON DIFFERS")
            if not same:
                sys.exit(1)
        for n in args.sizes:
            parts = folder / f"n{n}"
            in_child(write_partitions, parts, n, args.seed)
            cluster = Cluster(folder)
            try:
                secs, mb, _ = timed([str(KAOHE), "run", str(RULESET), "--facts", str(parts / "*.parquet"),
                                     "--engine", "dask", "--scheduler", cluster.address,
                                     "--db", f"sqlite:///{folder}/big{n}.db", "--json"], stdout=folder / "big.json")
            finally:
                peaks = cluster.stop()
            print(f"\n== {n:,} units from Parquet through Dask (load average "
                  f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}) ==")
            print(f"{secs:.1f} s; peak RSS: client {mb:,.0f} MiB, "
                  + ", ".join(f"{k} {v:,.0f} MiB" for k, v in peaks.items()))
            (folder / "big.json").unlink()


if __name__ == "__main__":
    main()
