"""The pages about stored runs: the list, a run's report, a unit's card and trace, analyze, downloads.

A unit account is sent from a run to its own card; every other unit's card,
trace or download answers 404.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kaohe.engine.errors import Problem
from kaohe.engine.i18n import register
from kaohe.engine.serve.api import signed_in, visible_run
from kaohe.engine.serve.auth import NotFound, check_unit, require
from kaohe.engine.serve.state import state
from kaohe.engine.serve.views import lang_of, render
from kaohe.engine.store import RunInfo

register(
    {
        "serve.runs.title": ("运行记录", "Runs"),
        "serve.runs.filter": ("筛选", "Filter"),
        "serve.runs.all_rulesets": ("全部规则集", "all rulesets"),
        "serve.runs.all_periods": ("全部期间", "all periods"),
        "serve.runs.none": ("还没有运行记录", "no runs yet"),
        "serve.runs.id": ("运行编号", "Run"),
        "serve.runs.ruleset": ("规则集", "Ruleset"),
        "serve.runs.period": ("考核期", "Period"),
        "serve.runs.units": ("单位数", "Units"),
        "serve.runs.created": ("时间", "Created"),
        "serve.runs.status": ("状态", "Status"),
        "serve.runs.current": ("现行", "current"),
        "serve.runs.my_card": ("本单位结果", "my unit's card"),
        "serve.run.title": ("运行 {id}", "Run {id}"),
        "serve.run.download": ("下载", "Download"),
        "serve.run.analyze": ("指标分析", "Analyze"),
        "serve.run.report": ("考核结果报告", "Appraisal report"),
        "serve.run.units": ("各单位", "Units"),
        "serve.card.title": ("{name} · 单位考核结果", "{name} · unit result"),
        "serve.card.trace": ("计算过程（explain）", "How every number was computed (explain)"),
        "serve.card.history": ("历次结果", "Earlier results"),
        "serve.card.back": ("返回运行", "Back to the run"),
        "serve.analyze.title": ("指标分析 · 运行 {id}", "Analyze · run {id}"),
        "serve.analyze.none": ("没有可分析的指标对（每个指标至少需要 3 个有差异的值）",
                               "no indicator pairs to analyse (each needs at least 3 differing values)"),
        "serve.analyze.flags": ("未能区分单位的指标", "Indicators that do not differentiate units"),
        "serve.analyze.effect": ("效应量", "Effect size"),
    }
)

router = APIRouter()
DOWNLOADS = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "pdf": "application/pdf", "json": "application/json"}


@router.get("/")
def home(request: Request) -> Response:
    """The start page is the list of runs."""
    return RedirectResponse("/runs", status_code=303)


@router.get("/runs")
def runs_page(request: Request, ruleset: str = "", period: str = "", all: str = "") -> Response:  # noqa: A002
    """Stored runs, filtered by ruleset and period: the current runs, or (``all``) superseded ones too."""
    from kaohe.engine.serve.publish import standings

    p = signed_in(request)
    st = state(request)
    show_all = all in ("1", "true", "on")
    infos = st.runs.store.list_runs(None, 1000, current_only=not show_all)
    if p.user.is_unit:
        mine = st.runs.runs_of_unit(p.user.unit or "")
        infos = [i for i in infos if i.id in mine]
    rulesets = sorted({i.ruleset_id for i in infos})
    periods = sorted({i.period for i in infos if i.period}, reverse=True)
    shown = [i for i in infos if (not ruleset or i.ruleset_id == ruleset) and (not period or i.period == period)]
    return render(request, "runs.html.j2", runs=shown, standing=standings(st.runs.store, shown), rulesets=rulesets,
                  periods=periods, ruleset=ruleset, period=period, show_all=show_all)


@router.get("/runs/{run}")
def run_page(request: Request, run: str) -> Response:
    """A run: its report (office) or, for a unit account, its own card."""
    p = signed_in(request)
    info = visible_run(request, p, run)
    if p.user.is_unit:
        return RedirectResponse(f"/runs/{info.id}/units/{p.user.unit}", status_code=303)
    return render_run(request, info)


def render_run(request: Request, info: RunInfo, status: int = 200, problems: Sequence[Problem] = ()) -> Response:
    """The run page (the office's view): its standing, the publish action, units, downloads, report."""
    from kaohe.engine.serve.publish import standings

    st = state(request)
    lang = lang_of(request)
    context = st.runs.context(info, lang)
    return render(request, "run.html.j2", status=status, info=info, units=context["units"], formats=list(DOWNLOADS),
                  standing=standings(st.runs.store, [info])[info.id], problems=[x.as_dict(lang) for x in problems])


@router.get("/runs/{run}/report.html")
def report_html(request: Request, run: str) -> Response:
    """The run's HTML report as ``kaohe report`` writes it (shown in the run page's frame)."""
    p = signed_in(request)
    require(p, "admin", "office")
    info = visible_run(request, p, run)
    return HTMLResponse(state(request).runs.report_html(info, lang_of(request)))


def _card_context(request: Request, run: str, unit: str) -> tuple[Any, dict[str, Any]]:
    p = signed_in(request)
    check_unit(p, unit)
    info = visible_run(request, p, run)
    context = state(request).runs.unit_context(info, lang_of(request), unit)
    if context is None:
        raise NotFound
    return info, context


@router.get("/runs/{run}/units/{unit}")
def card_page(request: Request, run: str, unit: str) -> Response:
    """One unit's card (the report's card template) with its explain trace and earlier results."""
    from kaohe.engine.explain import explain_unit
    from kaohe.engine.store_inputs import unit_inputs

    info, context = _card_context(request, run, unit)
    st = state(request)
    u = st.runs.unit(info, unit)
    assert u is not None
    trace = explain_unit(info, u, st.runs.store.load_facts(info.id, unit), lang_of(request),
                         population=st.runs.units(info), details=st.runs.store.load_details(info.id, unit=u.unit),
                         provenance=unit_inputs(st.runs.store.engine, info.id, u.unit))["lines"]
    return render(request, "card.html.j2", **{**context, "info": info, "unit": context["units"][0], "trace": trace,
                                              "earlier": _unit_history(request, unit, info.ruleset_id)})


def _unit_history(request: Request, unit: str, ruleset_id: str) -> list[dict[str, Any]]:
    """The unit's results in the other stored runs of the same ruleset, newest first."""
    st = state(request)
    mine = st.runs.runs_of_unit(unit)
    rows = []
    for info in st.runs.store.list_runs(ruleset_id, 50):
        if info.id in mine:
            u = st.runs.unit(info, unit)
            if u is not None:
                rows.append({"run": info.id, "period": info.period, "score": u.score, "grade": u.grade,
                             "rank": u.rank})
    return rows


@router.get("/runs/{run}/units/{unit}/card.html")
def card_html(request: Request, run: str, unit: str) -> Response:
    """The unit's card as ``kaohe report --per-unit`` writes it."""
    from kaohe.engine.report.render import render_template

    info, context = _card_context(request, run, unit)
    region = Path(info.ruleset_path).parent if info.ruleset_path else None
    return HTMLResponse(render_template("unit.html.j2", context, region_dir=region))


@router.get("/runs/{run}/analyze")
def analyze_page(request: Request, run: str) -> Response:
    """Which indicators move together, which never differentiate units, and each plugin metric's own tables."""
    from kaohe.engine.analyze import analyze, metric_tables

    p = signed_in(request)
    require(p, "admin", "office")
    info = visible_run(request, p, run)
    result = analyze([state(request).runs.units(info)], run_ids=[info.id])
    metrics = metric_tables([info.id], lang=lang_of(request), store=state(request).runs.store)
    return render(request, "analyze.html.j2", info=info, result=result, metrics=metrics)


@router.get("/runs/{run}/download/{fmt}")
def download(request: Request, run: str, fmt: str) -> Response:
    """The report as a file, rendered from the cached context (a unit account gets its own card)."""
    from kaohe.engine.report import _chosen_template, _write_one

    p = signed_in(request)
    if fmt not in DOWNLOADS:
        raise NotFound
    info = visible_run(request, p, run)
    st = state(request)
    lang = lang_of(request)
    region = Path(info.ruleset_path).parent if info.ruleset_path else None
    if p.user.is_unit:
        context = st.runs.unit_context(info, lang, p.user.unit or "")
        if context is None:
            raise NotFound
        name = f"{info.ruleset_id}-{info.period or info.id}-{p.user.unit}.{fmt}"
    else:
        context = st.runs.context(info, lang)
        name = f"{info.ruleset_id}-{info.period or info.id}.{fmt}"
    with tempfile.TemporaryDirectory(prefix="kaohe-serve-") as folder:
        path = Path(folder) / f"report.{fmt}"
        _write_one(context, path, fmt, region, single=p.user.is_unit,
                   template=None if p.user.is_unit else _chosen_template(info))
        data = path.read_bytes()
    return Response(data, media_type=DOWNLOADS[fmt],
                    headers={"Content-Disposition": f"attachment; filename=\"{_ascii(name)}\""})


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
