"""How long the authoring page's live panel takes on the example regions, what-if included.

    .venv/bin/python benchmarks/bench_whatif.py [--repeat 5]

For every example region (``tests/samples.REGION_RUNS``) the example runs are
stored, period after period, in a throw-away database; the workspace
application then runs in-process (FastAPI's test client, an office account)
on the repository's ``rulesets/`` folder, and ``GET /ruleset/panel`` is timed
with the preview on the region's latest run: validation, the ``tests:``, the
preview and the what-if against the current run of that family and period.
The 2026 health ruleset is also timed on the 2025Q4 health run (the
documented ``kaohe diff``).  Prints, per ruleset, the units, the first
request (the run's side read from the database), the median and the maximum
of ``--repeat`` more, and how many units the what-if moves to another grade.
Nothing leaves the process; nothing is written outside a temporary folder.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.samples import REGION_RUNS  # noqa: E402

PASSWORD = "bench password 1"


def _files(entry: str | tuple[str, ...]) -> list[Path]:
    return [ROOT / "examples" / f for f in ([entry] if isinstance(entry, str) else entry)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed panel requests per ruleset after the first")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from kaohe.engine.run import run
    from kaohe.engine.serve import ServeConfig, create_app
    from kaohe.engine.serve.tables import open_database
    from kaohe.engine.serve.users import add_user

    with tempfile.TemporaryDirectory(prefix="kaohe-bench-whatif-") as folder:
        db = f"sqlite:///{folder}/kaohe.db"
        latest: dict[str, tuple[str, int]] = {}
        started = time.perf_counter()
        for ruleset, entries in REGION_RUNS.items():
            for entry in entries:
                outcome = run(ROOT / "rulesets" / ruleset, _files(entry), db=db)
                latest[ruleset] = (outcome.info.id, outcome.info.units)
        print(f"stored the example runs in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        latest["wulate-health/health-2026.yaml"] = latest["wulate-health/health.yaml"]
        add_user(open_database(db).engine, "office", "office", None, PASSWORD)
        app = create_app(ServeConfig(rulesets_dir=ROOT / "rulesets", db=db, secret="bench", login_delay=0.0))
        client = TestClient(app, follow_redirects=False)
        assert client.post("/login", data={"username": "office", "password": PASSWORD}).status_code == 303

        print(f"{'ruleset':36} {'units':>6} {'first ms':>9} {'p50 ms':>8} {'max ms':>8}  what-if")
        for ruleset, (run_id, units) in sorted(latest.items()):
            url = f"/ruleset/panel?path={ruleset}&source=run:{run_id}"
            times = []
            for _ in range(args.repeat + 1):
                t = time.perf_counter()
                r = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, (ruleset, r.status_code)
            found = re.search(r'<p id="whatif-summary">([^<]*)</p>', r.text)
            shown = found.group(1) if found else ("problems" if 'id="whatif"' in r.text else "no current run")
            later = times[1:] or times
            print(f"{ruleset:36} {units:>6} {times[0]:>9.0f} {statistics.median(later):>8.0f} {max(later):>8.0f}  {shown}")


if __name__ == "__main__":
    main()
