"""The Dask engine gives the single-process results: same JSON, same run id.

One two-worker LocalCluster serves the module.  Every bundled example region
runs period after period (previous.-rules and history metrics see earlier
periods), its facts split into shuffled partitions so that categories,
quota scopes and DEA populations cross partition boundaries.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from kaohe.engine.dask_engine import DaskEngine
from kaohe.engine.errors import FactsError
from kaohe.engine.run import RunOutcome, run
from tests.samples import REGION_RUNS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster():
    with DaskEngine(workers=2) as engine:
        yield engine


def _json(outcome: RunOutcome) -> bytes:
    buf = io.BytesIO()
    outcome.write_json(buf)
    return buf.getvalue()


def split(source: Path, folder: Path, parts: int, fmt: str, seed: int) -> Path:
    """Shuffled rows of ``source`` in ``parts`` files (CSV or Parquet) inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with source.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    random.Random(seed).shuffle(body)
    for k in range(parts):
        chunk = body[k::parts]
        target = folder / f"part-{k}.csv"
        with target.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([header, *chunk])
        if fmt == "parquet":
            options = pa_csv.ConvertOptions(column_types={h: "string" for h in header if h in (
                "unit", "name", "category", "period", "parent")})
            pq.write_table(pa_csv.read_csv(target, convert_options=options), folder / f"part-{k}.parquet")
            target.unlink()
    return folder


# the Dask engine reads one partitioned source; regions whose facts are several departments' files are not run
@pytest.mark.parametrize("ruleset_rel", sorted(r for r, runs in REGION_RUNS.items()
                                               if all(isinstance(e, str) for e in runs)))
def test_every_example_region_gives_identical_results_on_dask(ruleset_rel: str, tmp_path: Path, cluster) -> None:
    ruleset = ROOT / "rulesets" / ruleset_rel
    fmt = "parquet" if sorted(REGION_RUNS).index(ruleset_rel) % 2 else "csv"
    for k, facts_rel in enumerate(REGION_RUNS[ruleset_rel][:2]):  # the second sees the first (previous.)
        facts = ROOT / "examples" / facts_rel
        single = run(ruleset, facts, db=f"sqlite:///{tmp_path}/single.db")
        parts = split(facts, tmp_path / f"parts{k}", 3, fmt, seed=k)
        pattern = parts / f"*.{fmt}"
        dask = run(ruleset, pattern, db=f"sqlite:///{tmp_path}/dask.db", engine=cluster)
        assert dask.info.id == single.info.id, facts_rel
        assert _json(dask) == _json(single), facts_rel


def test_a_folder_of_partitions_and_a_unit_in_two_of_them(tmp_path: Path, cluster) -> None:
    ruleset = ROOT / "rulesets" / "shunde-court" / "court.yaml"
    parts = split(ROOT / "examples" / "shunde-court" / "2025Q1.csv", tmp_path / "p", 2, "csv", seed=1)
    single = run(ruleset, ROOT / "examples" / "shunde-court" / "2025Q1.csv", db=f"sqlite:///{tmp_path}/a.db")
    assert run(ruleset, parts, db=f"sqlite:///{tmp_path}/b.db", engine=cluster).info.id == single.info.id
    first = (parts / "part-0.csv").read_text(encoding="utf-8").splitlines()
    (parts / "part-1.csv").write_text("\n".join([*first[:1], first[1], *(
        parts / "part-1.csv").read_text(encoding="utf-8").splitlines()[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(FactsError) as info:
        run(ruleset, parts, db=f"sqlite:///{tmp_path}/c.db", engine=cluster)
    unit = first[1].split(",")[0]
    assert f"unit `{unit}` appears in both {parts / 'part-0.csv'} and {parts / 'part-1.csv'}" in \
        info.value.render("en")


def test_a_bad_cell_names_its_partition_file_and_row(tmp_path: Path, cluster) -> None:
    ruleset = ROOT / "rulesets" / "shunde-court" / "court.yaml"
    parts = split(ROOT / "examples" / "shunde-court" / "2025Q1.csv", tmp_path / "p", 2, "csv", seed=2)
    lines = (parts / "part-1.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    column = header.index("closed")
    cells[column] = "many"
    lines[2] = ",".join(cells)
    (parts / "part-1.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FactsError) as info:
        run(ruleset, parts / "*.csv", db=f"sqlite:///{tmp_path}/k.db", engine=cluster)
    text = info.value.render("en")
    assert f"{parts / 'part-1.csv'}:3:{column + 1}" in text and "`many` is not an integer" in text


def test_no_matching_files_is_a_facts_error(tmp_path: Path, cluster) -> None:
    with pytest.raises(FactsError) as info:
        run(ROOT / "rulesets" / "shunde-court" / "court.yaml", tmp_path / "none-*.parquet",
            db=f"sqlite:///{tmp_path}/k.db", engine=cluster)
    assert "no facts files match" in info.value.render("en")
    assert info.value.exit_code == 2


def test_the_command_line_runs_on_a_local_cluster(tmp_path: Path, kaohe) -> None:
    ruleset = ROOT / "rulesets" / "pzhen" / "units.yaml"
    parts = split(ROOT / "examples" / "pzhen" / "2025Q1.csv", tmp_path / "p", 2, "parquet", seed=3)
    local = kaohe("run", ruleset, "--facts", ROOT / "examples" / "pzhen" / "2025Q1.csv", "--json",
                  "--db", f"sqlite:///{tmp_path}/a.db")
    dask = kaohe("run", ruleset, "--facts", parts / "*.parquet", "--engine", "dask", "--json",
                 "--db", f"sqlite:///{tmp_path}/b.db")
    assert dask.exit_code == 0, dask.stderr
    assert dask.stdout == local.stdout
