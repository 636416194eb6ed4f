"""Authoring a ruleset in the browser: problems, tests and coverage, preview, live refresh, the editor.

The page polls ``/ruleset/status`` (a fingerprint of the rulesets folder, so a
change to an ``extends`` parent counts too) and reloads its panel when it
changes: an edit saved in the author's own editor shows within a second.  The
in-browser editor saves through :func:`kaohe.engine.serve.rulesets.save_atomically`
(temporary file, fsync, ``os.replace``), and refuses to overwrite a file that
changed on disk since it was opened.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kaohe.engine.errors import KaoheError
from kaohe.engine.i18n import Lang, register
from kaohe.engine.serve import audit
from kaohe.engine.serve.api import signed_in
from kaohe.engine.serve.auth import NotFound, require
from kaohe.engine.serve.login import client_ip
from kaohe.engine.serve.preview import Preview, missing_source, preview_run
from kaohe.engine.serve.rulesets import (
    MAX_RULESET_BYTES,
    Folder,
    fingerprint,
    folder_fingerprint,
    resolve,
    save_atomically,
    shown_problems,
)
from kaohe.engine.serve.state import ServeState, state
from kaohe.engine.serve.views import lang_of, render
from kaohe.engine.serve.whatif import MAX_UNITS, office_only

register(
    {
        "serve.rulesets.title": ("规则集", "Rulesets"),
        "serve.rulesets.file": ("文件", "File"),
        "serve.rulesets.status": ("状态", "Status"),
        "serve.rulesets.valid": ("有效", "valid"),
        "serve.rulesets.errors": ("{count} 个错误", "{count} error(s)"),
        "serve.rulesets.warnings": ("{count} 个警告", "{count} warning(s)"),
        "serve.rulesets.none": ("目录中没有规则集", "no rulesets in the folder"),
        "serve.author.title": ("编辑规则集 {path}", "Ruleset {path}"),
        "serve.author.save": ("保存", "Save"),
        "serve.author.saved": ("已保存", "saved"),
        "serve.author.conflict": ("文件在您打开后已被修改（可能是在其他编辑器中）。请复制您的修改，刷新页面后再保存。",
                                  "the file changed on disk since you opened it (another editor?). Copy your edits, "
                                  "reload the page and save again."),
        "serve.author.too_big": ("规则集文件太大", "the ruleset file is too large"),
        "serve.author.live": ("文件在磁盘上改动后，本页会在 1 秒内自动刷新。", "This page refreshes within 1 s when the file changes on disk."),
        "serve.author.problems": ("校验问题", "Problems"),
        "serve.author.no_problems": ("规则集有效，没有问题。", "The ruleset is valid."),
        "serve.author.tests": ("测试用例（tests:）", "Tests (tests:)"),
        "serve.author.no_tests": ("没有测试用例", "no test cases"),
        "serve.author.passed": ("{passed} 个通过，{failed} 个失败", "{passed} passed, {failed} failed"),
        "serve.author.expected": ("期望 {expected}，实际 {got}", "expected {expected}, got {got}"),
        "serve.author.coverage": ("规则覆盖", "Rule coverage"),
        "serve.author.covered": ("有测试触发", "fired by a test"),
        "serve.author.uncovered": ("没有测试触发", "no test fires it"),
        "serve.author.preview": ("预览", "Preview"),
        "serve.author.preview_on": ("预览数据", "Preview on"),
        "serve.author.no_preview": ("选择一次已存的运行或一份已接受的上传，即可预览本规则集的结果（不会保存）。",
                                    "Choose a stored run or an accepted upload to preview this ruleset's results (nothing is stored)."),
        "serve.author.choose": ("— 请选择 —", "— choose —"),
        "serve.author.shown": ("按总分列出前 {n} 个单位（共 {total} 个）", "the first {n} units by score (of {total})"),
        "serve.author.editor": ("编辑器", "Editor"),
        "serve.author.save_failed": ("保存失败：{status}", "saving failed: {status}"),
        "serve.preview.unit": ("单位", "Unit"),
        "serve.preview.score": ("总分", "Score"),
        "serve.preview.grade": ("等次", "Grade"),
        "serve.preview.rank": ("类别内排名", "Rank"),
        "serve.preview.fired": ("触发的规则", "Rules fired"),
    }
)

router = APIRouter()
_FOLDERS: dict[str, Folder] = {}
_FOLDERS_LOCK = threading.Lock()


def _folder(st: ServeState) -> Folder:
    key = str(st.config.rulesets_dir)
    with _FOLDERS_LOCK:
        return _FOLDERS.setdefault(key, Folder(st.config.rulesets_dir))


def _path(st: ServeState, rel: str) -> Path:
    path = resolve(st.config.rulesets_dir, rel)
    if path is None:
        raise NotFound
    return path


@router.get("/rulesets")
def rulesets_page(request: Request) -> Response:
    """Every ruleset of the folder with its validation status."""
    p = signed_in(request)
    require(p, "admin", "office")
    st = state(request)
    statuses = _folder(st).statuses(lang_of(request))
    return render(request, "rulesets.html.j2", statuses=statuses, folder=str(st.config.rulesets_dir))


@router.get("/ruleset")
def ruleset_page(request: Request, path: str, source: str = "") -> Response:
    """The authoring page: editor on the left, the live panel on the right (a unit account: 404)."""
    office_only(signed_in(request))
    st = state(request)
    file = _path(st, path)
    panel = _panel(st, file, path, source, lang_of(request))
    return render(request, "author.html.j2", rel=path, content=file.read_text(encoding="utf-8", errors="replace"),
                  file_fingerprint=fingerprint(file), folder_fingerprint=folder_fingerprint(st.config.rulesets_dir),
                  sources=_sources(st, panel.get("ruleset_id")), source=source, **panel)


@router.get("/ruleset/status")
def ruleset_status(request: Request, path: str) -> Response:
    """Fingerprints the page polls: the folder's (reload the panel) and the file's (reload the editor)."""
    require(signed_in(request), "admin", "office")
    st = state(request)
    file = _path(st, path)
    return JSONResponse({"folder": folder_fingerprint(st.config.rulesets_dir), "file": fingerprint(file)})


@router.get("/ruleset/panel")
async def ruleset_panel(request: Request, path: str, source: str = "") -> Response:
    """The live panel alone (problems, tests, preview, what-if), as the page's script swaps it in
    (a unit account: 404, the preview and the what-if show every unit)."""
    office_only(signed_in(request))
    st = state(request)
    file = _path(st, path)
    panel = await run_in_threadpool(_panel, st, file, path, source, lang_of(request))
    return render(request, "_author_panel.html.j2", rel=path, source=source, **panel)


@router.get("/ruleset/source")
def ruleset_source(request: Request, path: str) -> Response:
    """The file's current text (the editor reloads it when it changed on disk and has no unsaved edits)."""
    require(signed_in(request), "admin", "office")
    file = _path(state(request), path)
    return JSONResponse({"content": file.read_text(encoding="utf-8", errors="replace"),
                         "fingerprint": fingerprint(file)})


@router.post("/ruleset/save")
async def ruleset_save(request: Request) -> Response:
    """Save the editor's text atomically; 409 when the file changed on disk since it was opened."""
    p = signed_in(request)
    require(p, "admin", "office")
    st = state(request)
    form = await request.form()
    rel = str(form.get("path") or "")
    file = _path(st, rel)
    content = str(form.get("content") or "")
    base = str(form.get("fingerprint") or "")
    wants_json = "application/json" in request.headers.get("accept", "")
    lang = lang_of(request)
    from kaohe.engine.i18n import text

    if len(content.encode("utf-8")) > MAX_RULESET_BYTES:
        return JSONResponse({"saved": False, "message": text("serve.author.too_big", lang)}, status_code=413)
    if base and base != fingerprint(file):
        return JSONResponse({"saved": False, "message": text("serve.author.conflict", lang)}, status_code=409)
    await run_in_threadpool(save_atomically, file, content.replace("\r\n", "\n"))
    audit.record(st.engine, p.user.name, "ruleset_save", rel, {"bytes": len(content.encode("utf-8"))},
                 ip=client_ip(request))
    if wants_json:
        return JSONResponse({"saved": True, "fingerprint": fingerprint(file), "message": text("serve.author.saved", lang)})
    return RedirectResponse(f"/ruleset?path={rel}", status_code=303)


def _sources(st: ServeState, ruleset_id: str | None) -> list[tuple[str, str]]:
    """Stored runs (of this ruleset first) and accepted uploads to preview on."""
    runs = st.runs.store.list_runs(None, 200)
    runs.sort(key=lambda i: (i.ruleset_id != ruleset_id, i.ruleset_id, i.period), reverse=False)
    out = [(f"run:{i.id}", f"{i.ruleset_id} · {i.period} · {i.id}") for i in runs]
    from kaohe.engine.serve.uploads import upload_sources

    return out + upload_sources(st)


def _panel(st: ServeState, file: Path, rel: str, source: str, lang: Lang) -> dict[str, Any]:
    """Everything the live panel shows, computed from the file as it is now."""
    from kaohe.engine.ruleset import load_ruleset
    from kaohe.engine.testing import run_tests

    panel: dict[str, Any] = {"problems": [], "warnings": [], "tests": [], "coverage": [], "preview": None,
                             "whatif": None, "family": None, "max_units": MAX_UNITS, "ruleset_id": None,
                             "error_lines": []}
    from kaohe.engine.ruleset.access import ExtendsPolicy

    try:
        rs = load_ruleset(file, extends=ExtendsPolicy((st.config.rulesets_dir,)))
    except KaoheError as e:
        panel["problems"] = shown_problems(st.config.rulesets_dir, [p.as_dict(lang) for p in e.problems])
        panel["error_lines"] = sorted({int(p.location.line) for p in e.problems
                                       if p.location and p.location.line and p.location.file
                                       and Path(p.location.file).resolve() == file.resolve()})
        return panel
    panel["ruleset_id"] = rs.model.id
    panel["warnings"] = shown_problems(st.config.rulesets_dir, [w.as_dict(lang) for w in rs.warnings])
    outcomes = run_tests(rs)
    panel["tests"] = [{"name": o.name, "passed": o.passed, "error": o.error_text(lang),
                       "mismatches": [m.__dict__ for m in o.mismatches]} for o in outcomes]
    fired = set().union(*(o.fired for o in outcomes)) if outcomes else set()
    panel["coverage"] = [{"id": r.id, "label": r.label or r.id, "covered": r.id in fired} for r in rs.model.rules]
    panel["family"] = rs.model.family_id
    if source:
        from kaohe.engine.serve.whatif import panel_whatif

        panel["preview"] = preview = _preview(st, rs, source, lang)
        panel["whatif"] = panel_whatif(st.runs, rs, rel, preview, lang)
    return panel


def _preview(st: ServeState, rs: Any, source: str, lang: Lang) -> Preview:
    kind, _, ident = source.partition(":")
    if kind == "run":
        info = st.runs.info(ident)
        if info is not None:
            return preview_run(st.runs.store, rs, info, lang)
    elif kind == "upload":
        from kaohe.engine.serve.uploads import preview_upload

        found = preview_upload(st, rs, ident, lang)
        if found is not None:
            return found
    return missing_source(source, lang)
