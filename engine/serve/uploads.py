"""Facts uploads: a department's CSV/XLSX (or a filled ``kaohe form``) checked cell by cell.

An upload is validated against the ruleset it is meant for, exactly as
``kaohe run`` would read it: every bad cell comes back with its row and
column, and nothing is kept.  An accepted upload is stored in the database
(bytes, SHA-256, uploader, time) and the office can start a run from it.  A
unit account may upload only rows of its own unit, and sees only its unit's
uploads; anyone else's answers 404.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from kaohe.engine.errors import FactsError, KaoheError, Location, Problem
from kaohe.engine.i18n import Lang, register
from kaohe.engine.serve import audit
from kaohe.engine.serve.api import signed_in
from kaohe.engine.serve.auth import NotFound, Principal, require
from kaohe.engine.serve.launch import check_facts, ruleset_at, start_run, suffix_of
from kaohe.engine.serve.login import client_ip
from kaohe.engine.serve.preview import Preview
from kaohe.engine.serve.rulesets import Folder
from kaohe.engine.serve.state import ServeState, state
from kaohe.engine.serve.tables import UploadRow
from kaohe.engine.serve.views import lang_of, render

register(
    {
        "serve.uploads.title": ("数据上传", "Facts uploads"),
        "serve.uploads.new": ("上传事实数据", "Upload facts"),
        "serve.uploads.ruleset": ("规则集", "Ruleset"),
        "serve.uploads.period": ("考核期（文件中没有 period 列时填写）", "Period (when the file has no period column)"),
        "serve.uploads.file": ("文件（CSV / XLSX / JSON）", "File (CSV / XLSX / JSON)"),
        "serve.uploads.submit": ("检查并上传", "Check and upload"),
        "serve.uploads.rejected": ("文件未通过检查，未保存任何内容。请修改以下单元格后重新上传：",
                                   "The file did not pass the checks and nothing was kept. Fix these cells and upload again:"),
        "serve.uploads.accepted": ("已接受的上传", "Accepted uploads"),
        "serve.uploads.none": ("还没有已接受的上传", "no accepted uploads yet"),
        "serve.uploads.name": ("文件", "File"),
        "serve.uploads.units": ("单位数", "Units"),
        "serve.uploads.by": ("上传人", "Uploaded by"),
        "serve.uploads.at": ("时间（UTC）", "Time (UTC)"),
        "serve.uploads.sha": ("SHA-256", "SHA-256"),
        "serve.uploads.run": ("用此数据开始运行", "Start a run with these facts"),
        "serve.uploads.download": ("下载原文件", "Download the file"),
        "serve.uploads.detail": ("上传 #{id}", "Upload #{id}"),
        "serve.uploads.run_failed": ("未能开始运行，未保存任何内容：", "The run was not started and nothing was stored:"),
        "serve.uploads.other_units": ("单位账号只能上传本单位（{unit}）的数据；文件中还有：{others}",
                                      "a unit account may upload only its own unit ({unit}); the file also has: {others}"),
    }
)

router = APIRouter()


def _visible(st: ServeState, p: Principal, upload_id: str) -> UploadRow:
    """The upload, if it exists and the user may see it (a unit: only its own unit's)."""
    if not upload_id.isdigit() or len(upload_id) > 12:
        raise NotFound
    with Session(st.engine) as s:
        row = s.get(UploadRow, int(upload_id))
        if row is None or (p.user.is_unit and row.uploader_unit != p.user.unit):
            raise NotFound
        s.expunge(row)
        return row


def _list(st: ServeState, p: Principal) -> list[UploadRow]:
    query = select(UploadRow).order_by(col(UploadRow.id).desc()).limit(200)
    if p.user.is_unit:
        query = query.where(col(UploadRow.uploader_unit) == p.user.unit)
    with Session(st.engine) as s:
        rows = [r[0] for r in s.execute(query).all()]
        for r in rows:
            s.expunge(r)
    return rows


def _rulesets(st: ServeState, lang: Lang) -> list[str]:
    return [s.path for s in Folder(st.config.rulesets_dir).statuses(lang) if s.valid]


def _page(request: Request, status: int = 200, **extra: Any) -> Response:
    st = state(request)
    p = signed_in(request)
    context = {"uploads": _list(st, p), "rulesets": _rulesets(st, lang_of(request)), "problems": [],
               "chosen": "", "period": "", **extra}
    return render(request, "uploads.html.j2", status=status, **context)


@router.get("/uploads")
def uploads_page(request: Request) -> Response:
    """The upload form and the accepted uploads."""
    return _page(request)


@router.post("/uploads")
async def upload(request: Request) -> Response:
    """Check a file; keep it only when every cell is valid."""
    p = signed_in(request)
    st = state(request)
    lang = lang_of(request)
    form = await request.form()
    rel = str(form.get("ruleset") or "")
    period = str(form.get("period") or "").strip() or None
    file = form.get("facts")
    filename = _display_name(file.filename if isinstance(file, UploadFile) else "")
    try:
        _, ruleset = ruleset_at(st, rel)
        if not isinstance(file, UploadFile):
            raise FactsError(Problem("serve.facts_missing"))
        data = await file.read(st.config.max_upload_bytes + 1)
        if len(data) > st.config.max_upload_bytes:
            raise FactsError(Problem("serve.facts_too_big", {"limit": st.config.max_upload_bytes // 2**20},
                                     Location(filename)))
        suffix_of(filename)
        facts = await run_in_threadpool(check_facts, st, ruleset, data, filename, period)
        if p.user.is_unit:
            others = [u for u in facts.units if u != p.user.unit]
            if others:
                raise FactsError(Problem("serve.uploads.other_units",
                                         {"unit": p.user.unit, "others": ", ".join(others[:10])}, Location(filename)))
    except KaoheError as e:
        audit.record(st.engine, p.user.name, "upload_rejected", filename,
                     {"ruleset": rel, "problems": len(e.problems)}, ip=client_ip(request))
        return _page(request, status=422, problems=[x.as_dict(lang) for x in e.problems], chosen=rel,
                     period=period or "")
    digest = hashlib.sha256(data).hexdigest()
    row = UploadRow(sha256=digest, filename=filename, ruleset=rel,
                    period=str(facts.period) if facts.period is not None else (period or ""), units=len(facts),
                    size=len(data), uploader=p.user.name, uploader_unit=p.user.unit, content=data)
    with Session(st.engine) as s:
        s.add(row)
        s.commit()
        s.refresh(row)
    audit.record(st.engine, p.user.name, "upload", f"upload {row.id}",
                 {"file": filename, "sha256": digest, "ruleset": rel, "units": row.units}, ip=client_ip(request))
    return RedirectResponse(f"/uploads/{row.id}", status_code=303)


@router.get("/uploads/{upload_id}")
def upload_page(request: Request, upload_id: str) -> Response:
    """One accepted upload (for the office: start a run, with a reason when it corrects a published run)."""
    st = state(request)
    return _upload_page(request, st, _visible(st, signed_in(request), upload_id))


def _upload_page(request: Request, st: ServeState, row: UploadRow, status: int = 200,
                 problems: list[dict[str, object]] | None = None, reason: str = "") -> Response:
    from kaohe.engine.serve.publish import pending_supersede

    pending = None
    if not signed_in(request).user.is_unit:
        try:
            _, ruleset = ruleset_at(st, row.ruleset)
            pending = pending_supersede(st.runs.store, ruleset.model.family_id, row.period)
        except KaoheError:  # the ruleset broke since the upload: starting a run shows its problems
            pending = None
    return render(request, "upload.html.j2", status=status, upload=row, pending=pending,
                  problems=problems or [], reason=reason)


@router.get("/uploads/{upload_id}/file")
def upload_file(request: Request, upload_id: str) -> Response:
    """The uploaded bytes, as they were accepted."""
    row = _visible(state(request), signed_in(request), upload_id)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", row.filename) or "facts"
    return Response(row.content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


@router.post("/uploads/{upload_id}/run")
async def run_upload(request: Request, upload_id: str) -> Response:
    """Start a run of the upload's ruleset on its facts (office); ``reason`` says why it supersedes
    the current run (required when that run is published: the page shows the store's error)."""
    p = signed_in(request)
    require(p, "admin", "office")
    st = state(request)
    row = _visible(st, p, upload_id)
    form = await request.form()
    reason = str(form.get("reason") or "").strip()[:500]
    try:
        outcome = await run_in_threadpool(start_run, st, row.ruleset, row.content, row.filename, row.period or None,
                                          reason or None)
    except KaoheError as e:
        return _upload_page(request, st, row, status=422, problems=[x.as_dict(lang_of(request)) for x in e.problems],
                            reason=reason)
    audit.record(st.engine, p.user.name, "run", outcome.info.id,
                 {"ruleset": row.ruleset, "period": outcome.info.period, "upload": row.id, "reused": outcome.reused,
                  "supersedes": outcome.info.supersedes, "reason": outcome.info.reason},
                 ip=client_ip(request))
    return RedirectResponse(f"/runs/{outcome.info.id}", status_code=303)


def _display_name(name: str | None) -> str:
    """The client's file name without any folder part (it is shown, never used as a path)."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    return "".join(c for c in base if c.isprintable())[:200] or "facts"


def upload_sources(st: ServeState) -> list[tuple[str, str]]:
    """Accepted uploads as preview sources of the authoring page."""
    with Session(st.engine) as s:
        rows = s.execute(select(col(UploadRow.id), col(UploadRow.filename), col(UploadRow.period))
                         .order_by(col(UploadRow.id).desc()).limit(100)).all()
    return [(f"upload:{i}", f"#{i} {name} · {period}") for i, name, period in rows]


def preview_upload(st: ServeState, ruleset: Any, ident: str, lang: Lang) -> Preview | None:
    """The ruleset on an accepted upload's facts (None when there is no such upload)."""
    from kaohe.engine.serve.preview import evaluate_facts

    if not ident.isdigit():
        return None
    with Session(st.engine) as s:
        row = s.get(UploadRow, int(ident))
        if row is None:
            return None
        s.expunge(row)
    result = Preview(f"upload:{row.id}", f"#{row.id} {row.filename}", row.period)
    try:
        facts = check_facts(st, ruleset, row.content, row.filename, row.period or None)
        result.period = str(facts.period) if facts.period is not None else row.period
        result.evaluated(evaluate_facts(st.runs.store, ruleset, facts))
    except KaoheError as e:
        result.problems = [x.as_dict(lang) for x in e.problems]
    return result
