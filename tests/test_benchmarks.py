"""The benchmarks still start: each answers ``--help`` (they are run by hand, so a rename elsewhere
would otherwise break them unnoticed). ``baseline.py`` is the numpy program ``bench_run.py`` runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("*.py") if p.name != "baseline.py")


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_benchmark_starts(script: str) -> None:
    proc = subprocess.run([sys.executable, script, "--help"], cwd=BENCHMARKS, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "usage:" in proc.stdout


def test_bench_run_runs_the_baseline() -> None:
    assert "baseline.py" in (BENCHMARKS / "bench_run.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [("bench_stages.py", "--sizes", "300"), ("bench_diff.py", "--sizes", "300")],
                         ids=["stages", "diff"])
def test_the_benchmark_runs_at_a_tiny_size(args: tuple[str, ...]) -> None:
    """The benchmarks that build rulesets of their own (extending the bundled court) run end to end."""
    proc = subprocess.run([sys.executable, *args], cwd=BENCHMARKS, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0 and "failed" not in proc.stderr, proc.stderr[-2000:]
    assert "300 units" in proc.stdout
