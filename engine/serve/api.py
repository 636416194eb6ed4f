"""The JSON API (docs/serve.md): runs, a run as ``kaohe run --json``, explain, starting a run.

Every route needs a signed-in user (session cookie or ``Authorization:
Bearer``).  A unit account sees only the runs its unit is in, and in them only
its own unit; asking for anything else answers 404, exactly like an object
that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from kaohe.engine.errors import KaoheError
from kaohe.engine.serve import audit
from kaohe.engine.serve.auth import NotFound, Principal, check_unit, require
from kaohe.engine.serve.launch import ruleset_at, start_run
from kaohe.engine.serve.state import state
from kaohe.engine.serve.views import lang_of
from kaohe.engine.store import RunInfo

router = APIRouter(prefix="/api")


def signed_in(request: Request) -> Principal:
    """The principal set by the application's dependency (see app.py)."""
    p: Principal = request.state.principal
    return p


SignedIn = Annotated[Principal, Depends(signed_in)]


def visible_run(request: Request, p: Principal, run: str) -> RunInfo:
    """The run, if it exists and the user may see it (a unit account: only runs with its unit)."""
    st = state(request)
    info = st.runs.info(run)
    if info is None:
        raise NotFound
    if p.user.is_unit and (p.user.unit is None or st.runs.unit(info, p.user.unit) is None):
        raise NotFound
    return info


def run_entries(request: Request, p: Principal, *, ruleset: str | None = None, period: str | None = None,
                family: str | None = None, show_all: bool = False, limit: int = 200) -> list[dict[str, Any]]:
    """Stored runs as ``kaohe runs --json`` lists them (current runs unless ``show_all``), newest
    first, each with its record (current, supersedes, superseded_by, reason, published_at) and name.

    A unit account gets only the runs its unit is in.
    """
    store = state(request).runs.store
    wanted = limit if not p.user.is_unit else 100_000
    infos = store.list_runs(ruleset or None, wanted, current_only=not show_all, family=family or None,
                            period=period or None)
    if p.user.is_unit:
        mine = state(request).runs.runs_of_unit(p.user.unit or "")
        infos = [i for i in infos if i.id in mine][:limit]
    record = store.run_record([i.id for i in infos])
    return [{**i.as_json(), **record[i.id], "name": i.ruleset_name} for i in infos]


@router.get("/me")
def me(p: SignedIn) -> dict[str, Any]:
    """Who is signed in; with a session cookie also the CSRF token its POSTs must carry."""
    return {"name": p.user.name, "role": p.user.role, "unit": p.user.unit, "csrf_token": p.csrf}


@router.get("/runs")
def list_runs(request: Request, p: SignedIn, ruleset: Annotated[str | None, Query(max_length=200)] = None,
              period: Annotated[str | None, Query(max_length=40)] = None,
              family: Annotated[str | None, Query(max_length=200)] = None,
              show_all: Annotated[bool, Query(alias="all")] = False,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """A JSON list of stored runs, newest first: the current run of each family and period
    (``all=true``: superseded runs too); a unit account: those its unit is in."""
    return run_entries(request, p, ruleset=ruleset, period=period, family=family, show_all=show_all, limit=limit)


@router.get("/runs/{run}")
def get_run(request: Request, run: str, p: SignedIn) -> Response:
    """The same document as ``kaohe run --json``; a unit account gets only its own unit."""
    st = state(request)
    info = visible_run(request, p, run)
    if not p.user.is_unit:
        return Response(st.runs.run_json_bytes(info), media_type="application/json")
    u = st.runs.unit(info, p.user.unit or "")
    assert u is not None
    ties = [t for t in info.ties if u.unit in t.get("units", [])]
    return JSONResponse({"run": info.as_json(), "units": [st.runs.unit_json(info, u)], "ties": ties})


@router.get("/runs/{run}/units/{unit}/explain")
def explain(request: Request, run: str, unit: str, p: SignedIn) -> dict[str, Any]:
    """``kaohe explain RUN UNIT --json``."""
    from kaohe.engine.explain import explain_unit
    from kaohe.engine.store_inputs import unit_inputs

    st = state(request)
    check_unit(p, unit)
    info = visible_run(request, p, run)
    u = st.runs.unit(info, unit)
    if u is None:
        raise NotFound
    doc = explain_unit(info, u, st.runs.store.load_facts(info.id, unit), lang_of(request),
                       population=st.runs.units(info), details=st.runs.store.load_details(info.id, unit=u.unit),
                       provenance=unit_inputs(st.runs.store.engine, info.id, u.unit))
    return {k: v for k, v in doc.items() if k != "lines"}


def problems_response(e: KaoheError, request: Request) -> JSONResponse:
    """422 with the CLI's ``--json`` error document."""
    lang = lang_of(request)
    return JSONResponse({"error": {"exit_code": e.exit_code, "problems": [p.as_dict(lang) for p in e.problems]}},
                        status_code=422)


@router.post("/runs")
async def create_run(request: Request, p: SignedIn) -> Response:
    """Multipart ``ruleset`` (relative to the rulesets folder), ``facts`` (a file), optional
    ``period`` and ``reason`` (why it supersedes the current run; needed when that one is
    published) → 201 with the run JSON, or 422 with the problems."""
    from starlette.concurrency import run_in_threadpool

    from kaohe.engine.errors import FactsError, Problem

    require(p, "admin", "office")
    st = state(request)
    form = await request.form(max_part_size=st.config.max_upload_bytes)
    rel = str(form.get("ruleset") or "")
    period = str(form.get("period") or "") or None
    reason = str(form.get("reason") or "").strip() or None
    facts = form.get("facts")
    try:
        ruleset_at(st, rel)
        if not isinstance(facts, UploadFile):
            raise FactsError(Problem("serve.facts_missing"))
        data = await facts.read()
        outcome = await run_in_threadpool(start_run, st, rel, data, facts.filename or "facts.csv", period, reason)
    except KaoheError as e:
        return problems_response(e, request)
    audit.record(st.engine, p.user.name, "run", outcome.info.id,
                 {"ruleset": rel, "period": outcome.info.period, "units": outcome.info.units,
                  "reused": outcome.reused, "via": p.via, "supersedes": outcome.info.supersedes,
                  "reason": outcome.info.reason}, ip=request.client.host if request.client else "")
    return JSONResponse(outcome.as_json(), status_code=201)
