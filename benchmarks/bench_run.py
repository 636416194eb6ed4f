"""`kaohe run --json` end to end against the columnar limit, with memory asserted.

For each size a seeded CSV of synthetic communities is written (not timed),
then, in this one invocation and alternately so both see the same machine
load, two child processes run:

- the numpy baseline (benchmarks/baseline.py: the same work written out by
  hand for benchmarks/community.yaml), and
- the real thing: ``kaohe run community.yaml --facts F --json > out.json``.

Each child's wall time, CPU time and peak RSS (wait4) are printed with kaohe's
time as a ratio to the baseline (the robust figure on a shared machine: the
CPU ratio least of all depends on other processes), kaohe's own
stage timings (stored with the run), and the load average.  Both must give
the same scores and grades.  The targets are checked: peak RSS at most
400 MB at 100k units and 1 GB at 1M (exit 1 otherwise); time (8 s at 100k,
45 s at 1M, ratio ≤ 3) is printed, and flagged, since absolute time depends
on the machine's load.

    .venv/bin/python benchmarks/bench_run.py                      # 100k and 1M, SQLite
    .venv/bin/python benchmarks/bench_run.py --sizes 100000 --db postgres
    .venv/bin/python benchmarks/bench_run.py --facts parquet      # read facts from Parquet
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

HERE = Path(__file__).resolve().parent
RULESET = HERE / "community.yaml"
KAOHE = Path(sys.executable).parent / "kaohe"
MEMORY_MB = {100_000: 400, 1_000_000: 1024}
SECONDS = {100_000: 8, 1_000_000: 45}
RATIO = 3.0
T = TypeVar("T")


def write_facts(path: Path, n: int, seed: int) -> None:
    """Seeded communities: some without complaints (a missing rate), a few vetoes and awards."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    households = rng.integers(50, 3000, n)
    complaints = np.where(rng.random(n) < 0.05, 0, rng.integers(1, 120, n))
    table = pa.table({
        "unit": [f"c{i:07d}" for i in rng.permutation(n)],  # rows out of order on purpose
        "name": [f"社区{i}" for i in range(n)],
        "category": np.where(rng.random(n) < 0.6, "urban", "rural"),
        "period": ["2025Q1"] * n,
        "households": households,
        "visits": (households * rng.uniform(0.1, 1.0, n)).astype(np.int64),
        "complaints": complaints,
        "resolved": (complaints * rng.uniform(0.5, 1.0, n)).astype(np.int64),
        "survey": np.round(rng.uniform(50, 100, n), 1),
        "violations": (rng.random(n) < 0.01).astype(np.int64),
        "awards": (rng.random(n) < 0.05).astype(np.int64),
    })
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="none"))


def in_child(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` in a forked child, its result sent back.

    A child's peak RSS as ``wait4`` reports it includes this process's RSS
    when the child was started (Linux counts the parent's pages until the
    child's exec), so everything big — writing facts, reading JSON — runs in
    a child, and this process stays small.
    """
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        send.send(work(*args))

    proc = ctx.Process(target=child)
    proc.start()
    send.close()
    result: T = receive.recv()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"{getattr(work, '__name__', work)} failed in a child process")
    return result


CPU: dict[str, float] = {}
"""CPU seconds (user + system) of the last child run by :func:`timed`, by program name."""


def timed(args: list[str], stdout: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a child; return (seconds, peak RSS MiB, stderr); its CPU seconds go to ``CPU``."""
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(stdout.open("wb")) if stdout else subprocess.PIPE
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    CPU[Path(args[1] if args[0] == sys.executable else args[0]).name] = usage.ru_utime + usage.ru_stime
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, stderr


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh SQLite file, or a throwaway PostgreSQL server (tests/pg.py)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/kaohe.db"
        return
    sys.path.insert(0, str(HERE.parent))
    from tests.pg import postgres_server

    with postgres_server() as url:
        yield url


def stage_timings(url: str) -> dict[str, float]:
    """The stage timings kaohe stored with its run."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        row = c.execute(text("SELECT timings_json FROM runs")).first()
    engine.dispose()
    return json.loads(row[0]) if row else {}


def same_results(kaohe_json: Path, baseline_json: Path) -> bool:
    """Scores, grades, ranks and firings agree unit by unit."""
    import orjson

    a, b = orjson.loads(kaohe_json.read_bytes()), orjson.loads(baseline_json.read_bytes())
    pick = lambda d: [(u["unit"], u["score"], u["grade"], u["rank"], u["fired"]) for u in d["units"]]  # noqa: E731
    return pick(a) == pick(b) and a["ties"] == b["ties"]


def bench(n: int, seed: int, db_kind: str, facts_kind: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        facts = folder / f"facts.{facts_kind}"
        in_child(write_facts, facts, n, seed)
        csv = folder / "facts.csv"
        if facts_kind != "csv":
            in_child(write_facts, csv, n, seed)
        base_s, base_mb, _ = timed([sys.executable, str(HERE / "baseline.py"), str(csv), str(folder / "b.db"),
                                    str(folder / "b.json")])
        base_cpu = CPU["baseline.py"]
        with database(db_kind, folder) as url:
            k_s, k_mb, _ = timed([str(KAOHE), "run", str(RULESET), "--facts", str(facts), "--db", url, "--json"],
                                 stdout=folder / "k.json")
            k_cpu = CPU["kaohe"]
            stages = stage_timings(url)
        same = in_child(same_results, folder / "k.json", folder / "b.json")
    return {"units": n, "kaohe_s": k_s, "kaohe_mb": k_mb, "baseline_s": base_s, "baseline_mb": base_mb,
            "kaohe_cpu": k_cpu, "baseline_cpu": base_cpu,
            "stages": stages, "same": same, "load": os.getloadavg()}


def report(fig: dict[str, object]) -> bool:
    """Print one size; return whether the asserted targets hold."""
    n = int(fig["units"])  # type: ignore[call-overload]
    k_s, k_mb = float(fig["kaohe_s"]), float(fig["kaohe_mb"])  # type: ignore[arg-type]
    b_s, b_mb = float(fig["baseline_s"]), float(fig["baseline_mb"])  # type: ignore[arg-type]
    ratio = k_s / b_s
    print(f"\n== {n:,} units (load average {' '.join(f'{x:.1f}' for x in fig['load'])}) ==")  # type: ignore[attr-defined]
    k_cpu, b_cpu = float(fig["kaohe_cpu"]), float(fig["baseline_cpu"])  # type: ignore[arg-type]
    print(f"{'':<22}{'seconds':>10}{'CPU s':>10}{'peak RSS MiB':>15}")
    print(f"{'kaohe run --json':<22}{k_s:>10.2f}{k_cpu:>10.2f}{k_mb:>15,.0f}")
    print(f"{'numpy baseline':<22}{b_s:>10.2f}{b_cpu:>10.2f}{b_mb:>15,.0f}")
    stages = fig["stages"]
    assert isinstance(stages, dict)
    print("kaohe stages: " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
          + f", rest (start, store, JSON) {k_s - sum(stages.values()):.2f}")
    ok = True
    print(f"ratio to baseline: {ratio:.2f}× wall, {k_cpu / b_cpu:.2f}× CPU (goal ≤ {RATIO:.0f}×)"
          f"{'' if ratio <= RATIO else '  ← over'}")
    if n in SECONDS:
        print(f"time: {k_s:.1f} s (target ≤ {SECONDS[n]} s){'' if k_s <= SECONDS[n] else '  ← over'}")
    if n in MEMORY_MB:
        holds = k_mb <= MEMORY_MB[n]
        print(f"memory: {k_mb:,.0f} MiB (asserted ≤ {MEMORY_MB[n]}){'' if holds else '  ← FAILED'}")
        ok &= holds
    print("results identical to the baseline" if fig["same"] else "RESULTS DIFFER from the baseline")
    return ok and bool(fig["same"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=20250101)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--facts", choices=["csv", "parquet"], default="csv")
    args = ap.parse_args()
    ok = True
    for n in args.sizes:
        ok &= report(bench(n, args.seed, args.db, args.facts))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
