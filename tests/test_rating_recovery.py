"""Issue 13's done-when, on a small seeded version of benchmarks/rating_recovery.py (8 seeds, not 30).

The default (`rater_effects` + `popularity`) must beat raw role-weighted means
and reach a mean Spearman ρ ≥ 0.92 with the true performance in scenarios A
and B, and cost almost nothing (within 0.01 of raw means) when raters are
neither lenient nor popular-minded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.rating_recovery import SCENARIOS, recovery, simulate

SEEDS = range(8)


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, float]]:
    folder: Path = tmp_path_factory.mktemp("recovery")
    out = {}
    for scenario, (slope, biased) in SCENARIOS.items():
        runs = [recovery(simulate(seed, slope, biased), folder, f"{scenario.replace(' ', '')}-{seed}",
                         ("raw", "default")) for seed in SEEDS]
        out[scenario] = {m: float(np.mean([r[m] for r in runs])) for m in ("raw", "default")}
    return out


@pytest.mark.parametrize("scenario", ["A", "B"])
def test_the_default_beats_raw_means_when_raters_are_biased(figures, scenario: str) -> None:
    got = figures[scenario]
    assert got["default"] >= 0.92 and got["default"] > got["raw"], got


def test_the_default_costs_almost_nothing_without_bias(figures) -> None:
    got = figures["no bias"]
    assert abs(got["default"] - got["raw"]) <= 0.01 and got["default"] >= 0.92, got


def test_the_simulation_is_seeded() -> None:
    a, b = simulate(3, 0.15, True), simulate(3, 0.15, True)
    assert a == b and a != simulate(4, 0.15, True)
    assert len(a.truth) == 60 and len(a.ratings) == 60 * 9 + 60 + 20 * 15
