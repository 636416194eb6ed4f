"""The optional plugin hooks: details stored with the run, explain lines, analyze tables, load-time warnings.

A test metric `share` (a unit's share of the population total of a fact)
records the total it divided by, adds a line to `kaohe explain`, a table to
`kaohe analyze`, a run-time warning and a load-time warning; a metric without
hooks shows only its name, parameters and inputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict

from kaohe.engine.errors import Problem, RunError
from kaohe.engine.i18n import register
from kaohe.engine.plugins import (
    DetailTable,
    Metric,
    MetricDetails,
    ParamWarning,
    UnitDetails,
    registry,
)
from kaohe.engine.run import run
from kaohe.engine.store import Store

register({
    "test.share.line": ("占总数 {total} 的 {share}", "share of the total {total}: {share}"),
    "test.share.small": ("总数只有 {total}", "the total is only {total}"),
    "test.share.advice": ("`{of}` 最好换成人均数", "`{of}` would be better per head"),
    "test.share.title": ("各单位占比", "shares"),
})

RULESET = """
kaohe: 1
id: shares
name: 占比
period: year
categories: {town: {label: 镇}}
facts:
  cases: {label: 案件数, type: integer, min: 0}
  staff: {label: 人数, type: integer, min: 1}
indicators:
  share:
    label: 案件占比
    metric: share
    with: {of: cases}
    score: {linear: {worst: 0, best: 0.5}}
  plain:
    label: 人数占比
    metric: plainshare
    with: {of: staff}
weights:
  default: {share: 100}
grades:
  - {name: 称职}
"""
FACTS = "unit,category,cases,staff\na,town,10,2\nb,town,30,3\nc,town,60,5\n"


class ShareParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    of: str


def _share(ctx, p: ShareParams) -> np.ndarray:  # type: ignore[no-untyped-def]
    col = ctx.column(p.of)
    return np.asarray(col / np.nansum(col), dtype=np.float64)


def _details(ctx, p: ShareParams, values: np.ndarray) -> MetricDetails:  # type: ignore[no-untyped-def]
    total = np.nansum(ctx.column(p.of))  # a numpy float: kaohe makes it JSON-ready
    return MetricDetails({"total": total}, {u: {"part": ctx.column(p.of)[i], "share": values[i]}
                                            for i, u in enumerate(ctx.units)},
                         [Problem("test.share.small", {"total": int(total)}, severity="warning")])


def _explain(d: UnitDetails, lang) -> list[str]:  # type: ignore[no-untyped-def]
    from kaohe.engine.i18n import text

    assert d.data is not None and d.params == {"of": "cases"}
    return [text("test.share.line", lang, total=d.summary["total"], share=d.data["share"])]


def _tables(d: MetricDetails, lang) -> list[DetailTable]:  # type: ignore[no-untyped-def]
    from kaohe.engine.i18n import text

    rows = [{"unit": u, "share": v["share"]} for u, v in d.units.items()]
    return [DetailTable("shares", text("test.share.title", lang), [("unit", "单位"), ("share", "占比")], rows)]


SHARE = Metric("share", ShareParams, _share, lambda p: [p.of], details=_details, explain=_explain, tables=_tables,
               warnings=lambda p: [ParamWarning("of", "test.share.advice", {"of": p.of})])
PLAIN = Metric("plainshare", ShareParams, _share, lambda p: [p.of])


@pytest.fixture
def metrics() -> Iterator[None]:
    registry.register(SHARE)
    registry.register(PLAIN)
    yield
    registry.unregister("share")
    registry.unregister("plainshare")


@pytest.fixture
def stored(project, tmp_path: Path, metrics) -> tuple[str, Path]:  # type: ignore[no-untyped-def]
    root = project({"r.yaml": RULESET, "f.csv": FACTS})
    outcome = run(root / "r.yaml", root / "f.csv", period="2025", db=f"sqlite:///{tmp_path / 'kaohe.db'}")
    assert [(w.code, w.location.path, w.severity) for w in outcome.warnings if w.code.startswith("test.")] == [
        ("test.share.advice", "indicators.share.with.of", "warning"),
        ("test.share.small", "indicators.share.metric", "warning")]
    return outcome.info.id, root


def test_details_are_stored_with_the_run(stored, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_id, _ = stored
    records = Store(f"sqlite:///{tmp_path / 'kaohe.db'}").load_details(run_id)
    share, plain = records["share"], records["plain"]
    assert (share.metric, share.params, share.inputs, share.summary) == ("share", {"of": "cases"}, ["cases"],
                                                                         {"total": 100.0})
    assert share.units == {"a": {"part": 10.0, "share": 0.1}, "b": {"part": 30.0, "share": 0.3},
                           "c": {"part": 60.0, "share": 0.6}}
    assert share.warnings == [{"code": "test.share.small", "params": {"total": 100}}]
    assert (plain.metric, plain.inputs, plain.summary, plain.units) == ("plainshare", ["staff"], {}, {})
    only_b = Store(f"sqlite:///{tmp_path / 'kaohe.db'}").load_details(run_id, unit="b")
    assert only_b["share"].units == {"b": {"part": 30.0, "share": 0.3}} and only_b["share"].summary == {"total": 100.0}
    assert Store(f"sqlite:///{tmp_path / 'kaohe.db'}").load_details(run_id, unit="")["share"].units == {}


def test_explain_carries_metric_name_parameters_inputs_and_the_hooks_lines(stored, kaohe) -> None:  # type: ignore[no-untyped-def]
    run_id, _ = stored
    doc = kaohe("explain", run_id, "b", "--json").json()
    by_id = {i["id"]: i for i in doc["indicators"]}
    assert by_id["share"]["metric"] == {"name": "share", "params": {"of": "cases"}, "inputs": {"cases": 30},
                                        "details": {"part": 30.0, "share": 0.3}, "warnings": ["总数只有 100"]}
    assert by_id["plain"]["metric"] == {"name": "plainshare", "params": {"of": "staff"}, "inputs": {"staff": 3},
                                        "details": None, "warnings": []}
    assert by_id["share"]["inputs"] == {"cases": 30}
    lines = kaohe("explain", run_id, "b").stdout
    assert "插件指标：share" in lines and "代入：案件数(cases) = 30" in lines
    assert "    占总数 100.0 的 0.3" in lines and "  ⚠ 总数只有 100" in lines
    assert "share of the total 100.0: 0.3" in kaohe("explain", run_id, "b", "--lang", "en").stdout


def test_analyze_shows_each_metrics_own_tables_not_a_hard_coded_one(stored, kaohe) -> None:  # type: ignore[no-untyped-def]
    run_id, _ = stored
    result = kaohe("analyze", run_id, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["metrics"] == [{
        "run": run_id, "indicator": "share", "metric": "share", "warnings": ["总数只有 100"],
        "tables": [{"id": "shares", "title": "各单位占比", "columns": [{"key": "unit", "header": "单位"},
                                                                    {"key": "share", "header": "占比"}],
                    "rows": [{"unit": "a", "share": 0.1}, {"unit": "b", "share": 0.3}, {"unit": "c", "share": 0.6}]}]}]
    human = kaohe("analyze", run_id)
    assert "各单位占比（指标 share" in human.stdout and "0.6" in human.stdout
    assert "⚠ 指标 `share`" in human.stderr and "总数只有 100" in human.stderr


def test_without_the_plugin_the_stored_details_still_read(stored, kaohe) -> None:  # type: ignore[no-untyped-def]
    run_id, _ = stored
    registry.unregister("share")
    lines = kaohe("explain", run_id, "c").stdout
    assert "    part = 60" in lines and "    share = 0.6" in lines
    [metric] = kaohe("analyze", run_id, "--json").json()["metrics"]
    [table] = metric["tables"]
    assert table["id"] == "details" and [c["key"] for c in table["columns"]] == ["unit", "part", "share"]
    assert table["rows"][2] == {"unit": "c", "part": 60.0, "share": 0.6}


def test_a_broken_explain_hook_falls_back_to_the_figures(stored, kaohe, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run_id, _ = stored

    def broken(d, lang):  # type: ignore[no-untyped-def]
        raise KeyError("oops")

    registry.register(Metric("share", ShareParams, _share, lambda p: [p.of], explain=broken, tables=broken))
    result = kaohe("explain", run_id, "a")
    assert result.exit_code == 0 and "    share = 0.1" in result.stdout
    assert kaohe("analyze", run_id, "--json").json()["metrics"][0]["tables"][0]["id"] == "details"
    monkeypatch.setenv("KAOHE_DEBUG", "1")  # a plugin author sees the real error
    debug = kaohe("explain", run_id, "a")
    assert debug.exit_code == 3 and "KeyError: 'oops'" in debug.stderr


@pytest.mark.parametrize(("details", "error"), [
    (lambda ctx, p, v: MetricDetails({"seen": {1, 2}}), "set"),
    (lambda ctx, p, v: 1 / 0, "ZeroDivisionError"),
], ids=["not-json", "raises"])
def test_a_failing_details_hook_fails_the_run_naming_the_plugin(project, tmp_path, metrics, details, error) -> None:  # type: ignore[no-untyped-def]
    registry.register(Metric("share", ShareParams, _share, lambda p: [p.of], details=details))
    root = project({"r.yaml": RULESET, "f.csv": FACTS})
    db = f"sqlite:///{tmp_path / 'k.db'}"
    with pytest.raises(RunError) as e:
        run(root / "r.yaml", root / "f.csv", period="2025", db=db)
    assert "plugin `share` failed for indicator `share`" in e.value.render("en") and error in e.value.render("en")
    assert Store(db).list_runs() == []


def test_load_time_warnings_from_the_hook(project, kaohe, metrics) -> None:  # type: ignore[no-untyped-def]
    project({"r.yaml": RULESET})
    result = kaohe("validate", "r.yaml", "--json")
    assert result.exit_code == 0
    [ruleset] = result.json()["rulesets"]
    [w] = [w for w in ruleset["warnings"] if w["code"] == "test.share.advice"]
    assert (w["path"], w["line"], w["message"]) == ("indicators.share.with.of", 13, "`cases` 最好换成人均数")
    assert kaohe("validate", "r.yaml", "--strict").exit_code == 1


def test_the_rating_adjust_warning(project, kaohe) -> None:  # type: ignore[no-untyped-def]
    block = RULESET.replace("  plain:\n    label: 人数占比\n    metric: plainshare\n    with: {of: staff}\n", (
        "  review:\n    label: 民主测评\n    metric: rating\n    with: {file: r.csv, adjust: [staff]}\n"))
    project({"r.yaml": block.replace("metric: share\n    with: {of: cases}", "formula: cases / 100"),
             "r.csv": "rater,rater_role,ratee,score\nx,同级,a,80\n"})
    result = kaohe("validate", "r.yaml", "--lang", "en")
    assert result.exit_code == 0
    assert "r.yaml:17:33 [indicators.review.with.adjust]: warning:" in result.stderr
    assert "removes the whole slope of the score on staff, including real performance" in result.stderr
    [ruleset] = json.loads(kaohe("validate", "r.yaml", "--json").stdout)["rulesets"]
    assert [w["path"] for w in ruleset["warnings"] if w["code"] == "rating.adjust_removes_performance"] == [
        "indicators.review.with.adjust"]


def test_serve_shows_the_metrics_tables_and_lines(tmp_path, metrics) -> None:  # type: ignore[no-untyped-def]
    from tests.serve_support import build

    ws = build(tmp_path)
    (ws.rulesets / "shares").mkdir()
    (ws.rulesets / "shares" / "r.yaml").write_text(RULESET.lstrip(), encoding="utf-8")
    (tmp_path / "f.csv").write_text(FACTS, encoding="utf-8")
    run_id = run(ws.rulesets / "shares" / "r.yaml", tmp_path / "f.csv", period="2025", db=ws.db).info.id
    office = ws.client("office")
    page = office.get(f"/runs/{run_id}/analyze").text
    assert "<caption>各单位占比</caption>" in page and '<td class="num">0.6</td>' in page and "⚠ 总数只有 100" in page
    report = office.get(f"/runs/{run_id}/report.html").text
    assert 'id="metric-share"' in report and "占总数 100.0 的 0.3" in report
    api = office.get(f"/api/runs/{run_id}/units/b/explain").json()
    assert api["indicators"][0]["metric"]["details"] == {"part": 30.0, "share": 0.3}
