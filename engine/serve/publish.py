"""Current and superseded runs, publication (公示), and the reason a correction needs.

Stored runs never change (engine/store.py): a new run supersedes the current
run of its ruleset family and period, and publishing is recorded beside the
run.  This module tells the pages where each run stands (current, or
superseded by which run, when and why; published when) and holds the publish
action of the office: ``POST /runs/{run}/publish`` (a form with the CSRF
token) and ``POST /api/runs/{run}/publish`` (``kaohe publish --json``).  Only
the current run can be published; superseding a published run needs a
reason — the store refuses otherwise, with the message the CLI prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaohe.engine.errors import KaoheError
from kaohe.engine.i18n import register
from kaohe.engine.serve import audit
from kaohe.engine.serve.api import problems_response, signed_in, visible_run
from kaohe.engine.serve.auth import require
from kaohe.engine.serve.login import client_ip
from kaohe.engine.serve.state import state
from kaohe.engine.store import RunInfo, Store

register(
    {
        "serve.record.current": ("现行", "current"),
        "serve.record.superseded": ("已被替代", "superseded"),
        "serve.record.superseded_by": ("替代者", "superseded by"),
        "serve.record.supersedes": ("替代", "supersedes"),
        "serve.record.reason": ("原因：{reason}", "reason: {reason}"),
        "serve.record.no_reason": ("未说明原因", "no reason given"),
        "serve.record.published": ("已公示", "published"),
        "serve.record.show_all": ("显示已被替代的运行", "show superseded runs"),
        "serve.record.publish": ("公示本次运行", "Publish this run"),
        "serve.record.note": ("公示说明（可不填，例如公示方式和地点）", "Note (optional, e.g. where it was published)"),
        "serve.record.publish_help": ("公示后，再替代本次运行须说明原因，新报告会附更正说明。",
                                      "Once published, superseding this run needs a reason, and the new report "
                                      "carries a correction."),
        "serve.record.not_current": ("只能公示当前有效的运行。", "Only the current run can be published."),
        "serve.record.will_supersede": ("考核期 {period} 已有现行运行 {run}（{at}）；新运行将替代它，原运行保留。",
                                        "Period {period} already has the current run {run} ({at}); a new run "
                                        "supersedes it and that run is kept."),
        "serve.record.needs_reason": ("运行 {run} 已于 {published} 公示：替代它必须说明原因，新报告会附更正说明。",
                                      "Run {run} was published on {published}: superseding it needs a reason, "
                                      "and the new report carries a correction."),
        "serve.record.reason_field": ("替代原因", "Reason for superseding"),
        "serve.record.reason_required": ("替代原因（必填）", "Reason for superseding (required)"),
        "serve.record.reason_placeholder": ("例如：更正第三季度结案数", "e.g. corrected Q3 closed cases"),
    }
)

router = APIRouter()


@dataclass(frozen=True)
class Standing:
    """Where a run stands in its family and period (``Store.run_record``, plus who superseded it)."""

    current: bool
    supersedes: str | None
    reason: str | None
    superseded_by: str | None
    superseded_at: str | None
    superseded_reason: str | None
    published_at: str | None


def standings(store: Store, infos: Sequence[RunInfo]) -> dict[str, Standing]:
    """The standing of each of ``infos`` (two queries, whatever their number)."""
    record = store.run_record([i.id for i in infos])
    later = store.run_record([r["superseded_by"] for r in record.values() if r["superseded_by"]])
    out = {}
    for rid, r in record.items():
        by = later.get(r["superseded_by"] or "")
        out[rid] = Standing(r["current"], r["supersedes"], r["reason"], r["superseded_by"],
                            by["created_at"][:19].replace("T", " ") if by else None, by["reason"] if by else None,
                            r["published_at"][:19].replace("T", " ") if r["published_at"] else None)
    return out


def pending_supersede(store: Store, family: str, period: str) -> dict[str, Any] | None:
    """The current run a new run of ``family`` and ``period`` would supersede, and whether it is published."""
    current = store.current_run(family, period)
    if current is None:
        return None
    published = store.published(current.id)
    return {"run": current.id, "at": str(current.created_at)[:19],
            "published": published[0].strftime("%Y-%m-%d") if published else None}


@router.post("/runs/{run}/publish")
async def publish_page(request: Request, run: str) -> Response:
    """The office publishes the current run (form with the CSRF token and an optional ``note``)."""
    from kaohe.engine.serve.pages import render_run

    p = signed_in(request)
    require(p, "admin", "office")
    info = visible_run(request, p, run)
    form = await request.form()
    note = str(form.get("note") or "").strip()[:500]
    try:
        await _publish(request, info, note, p.user.name)
    except KaoheError as e:
        return render_run(request, info, status=422, problems=e.problems)
    return RedirectResponse(f"/runs/{info.id}", status_code=303)


@router.post("/api/runs/{run}/publish")
async def publish_api(request: Request, run: str) -> Response:
    """``kaohe publish RUN --json``: ``{"run", "published_at", "new"}``, or 422 with the problems."""
    p = signed_in(request)
    require(p, "admin", "office")
    info = visible_run(request, p, run)
    form = await request.form()
    try:
        _, at, new = await _publish(request, info, str(form.get("note") or "").strip()[:500], p.user.name)
    except KaoheError as e:
        return problems_response(e, request)
    return JSONResponse({"run": info.as_json(), "published_at": at.isoformat(), "new": new})


async def _publish(request: Request, info: RunInfo, note: str, actor: str) -> tuple[RunInfo, dt.datetime, bool]:
    st = state(request)
    info2, at, new = await run_in_threadpool(st.runs.store.publish, info.id, note)
    if new:
        audit.record(st.engine, actor, "publish", info.id, {"ruleset": info.ruleset_id, "period": info.period,
                                                            "note": note}, ip=client_ip(request))
    return info2, at, new
