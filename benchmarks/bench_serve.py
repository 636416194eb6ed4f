"""Bounded load test of ``kaohe serve`` on loopback: a 10k-unit run read by 20 clients for 30 s.

    .venv/bin/python benchmarks/bench_serve.py [--units 10000] [--clients 20] [--seconds 30]

Stores a seeded run of N units (the MINI ruleset of the tests), starts the real
``kaohe serve`` process on 127.0.0.1 with an office account and its API token,
warms the caches (one request of each kind), then C client threads request,
round-robin, the run's HTML report, a random unit's card page, and
``GET /api/runs/{run}`` until the time is up.  Prints per-endpoint p50/p95/max
latency, requests, bytes, and errors (any non-200), then stops the server.
Traffic goes to 127.0.0.1 only; the loop is bounded in time.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_report import facts_csv  # noqa: E402
from tests.test_cli_e2e import MINI  # noqa: E402

KAOHE = str(Path(sys.executable).parent / "kaohe")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kaohe(*args: str, cwd: Path, stdin: str | None = None) -> str:
    p = subprocess.run([KAOHE, *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=True)
    return p.stdout


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kaohe-bench-serve-") as tmp:
        root = Path(tmp)
        (root / "rules").mkdir()
        (root / "rules" / "mini.yaml").write_text(MINI.lstrip(), encoding="utf-8")
        (root / "facts.csv").write_text(facts_csv(args.units), encoding="utf-8")
        db = f"sqlite:///{root / 'k.db'}"
        t = time.perf_counter()
        run_id = kaohe("run", "rules/mini.yaml", "--facts", "facts.csv", "--period", "2025Q1", "--db", db,
                       "--json", cwd=root).split('"id": "', 1)[1].split('"', 1)[0]
        print(f"stored run {run_id}: {args.units} units in {time.perf_counter() - t:.1f} s")
        kaohe("users", "add", "bench", "--role", "office", "--password-stdin", "--db", db, cwd=root,
              stdin="bench-password\n")
        token = kaohe("users", "token", "bench", "--db", db, cwd=root).strip()
        port = free_port()
        server = subprocess.Popen([KAOHE, "serve", "rules", "--db", db, "--port", str(port)], cwd=root,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env={**os.environ, "KAOHE_SECRET": "bench"})
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.Client(base_url=base, headers=headers, timeout=120) as c:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        c.get("/api/me")
                        break
                    except httpx.TransportError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.3)
                units = [f"u{i:05d}" for i in range(args.units)]
                endpoints = {"report": f"/runs/{run_id}/report.html", "card": f"/runs/{run_id}/units/{{unit}}",
                             "api_run": f"/api/runs/{run_id}"}
                for name, url in endpoints.items():
                    t = time.perf_counter()
                    r = c.get(url.format(unit=units[0]))
                    print(f"warm-up {name}: {r.status_code}, {len(r.content) / 1e6:.1f} MB, "
                          f"{time.perf_counter() - t:.2f} s (first request builds the cache)")

            results: dict[str, list[float]] = {k: [] for k in endpoints}
            sizes: dict[str, int] = dict.fromkeys(endpoints, 0)
            errors: list[str] = []
            lock = threading.Lock()
            stop_at = time.monotonic() + args.seconds

            def client(seed: int) -> None:
                rng = random.Random(seed)
                names = list(endpoints)
                i = seed
                with httpx.Client(base_url=base, headers=headers, timeout=120) as c:
                    while time.monotonic() < stop_at:
                        name = names[i % len(names)]
                        i += 1
                        url = endpoints[name].format(unit=rng.choice(units))
                        t = time.perf_counter()
                        try:
                            r = c.get(url)
                            ok, size = r.status_code == 200, len(r.content)
                            why = f"{name} {r.status_code}"
                        except httpx.HTTPError as e:
                            ok, size, why = False, 0, f"{name} {type(e).__name__}"
                        elapsed = time.perf_counter() - t
                        with lock:
                            if ok:
                                results[name].append(elapsed)
                                sizes[name] += size
                            else:
                                errors.append(why)

            threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
            started = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)

    total = sum(len(v) for v in results.values())
    print(f"\n{args.clients} clients, {wall:.1f} s, {args.units} units: {total} requests "
          f"({total / wall:.1f}/s), errors {len(errors)}")
    print(f"{'endpoint':<10}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'MB/req':>8}")
    for name, values in results.items():
        if values:
            print(f"{name:<10}{len(values):>9}{statistics.median(values) * 1000:>9.0f}"
                  f"{percentile(values, 0.95) * 1000:>9.0f}{max(values) * 1000:>9.0f}"
                  f"{sizes[name] / len(values) / 1e6:>8.2f}")
    if errors:
        print("errors:", ", ".join(sorted(set(errors))))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
