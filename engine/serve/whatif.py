"""What-if: the ruleset being edited against the stored current run of its family and period.

When the period of the authoring page's preview has a current run of the
edited ruleset's family, the panel shows what ``kaohe diff RUN --ruleset
NEW`` would: the grade transitions and the units whose grade changes, each
with the causes of its change.  Everything is computed by ``engine/diff``
(its sides, :func:`~kaohe.engine.diff.compare` and the report context); this
module only picks the run and reuses work: the run's side is read once (runs
never change) and the new side is the preview's own evaluation when the
preview is on that very run.  ``GET /api/runs/{run}/whatif?ruleset=PATH``
gives the same document as ``kaohe diff RUN --ruleset PATH --json``.

Office and admins only: a unit account gets 404 (the what-if shows every unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kaohe.engine.diff import DiffResult
from kaohe.engine.errors import KaoheError, Problem
from kaohe.engine.i18n import Lang, register
from kaohe.engine.results import Evaluation
from kaohe.engine.ruleset import Ruleset
from kaohe.engine.serve.api import problems_response, signed_in, visible_run
from kaohe.engine.serve.auth import NotFound, Principal
from kaohe.engine.serve.preview import Preview, evaluate_run
from kaohe.engine.serve.runcache import RunCache
from kaohe.engine.serve.state import state
from kaohe.engine.serve.views import lang_of
from kaohe.engine.store import RunInfo

MAX_UNITS = 100

register(
    {
        "serve.whatif.title": ("修改影响（what-if）", "What-if impact"),
        "serve.whatif.against": ("与 {period} 的现行运行相比：", "Against the current run of {period}:"),
        "serve.whatif.how": ("用该运行的事实数据按本规则集重新评估，不保存（同 kaohe diff 运行 --ruleset 本文件）",
                             "its facts evaluated again under this ruleset, nothing stored (as kaohe diff RUN "
                             "--ruleset THIS_FILE)"),
        "serve.whatif.none": ("{period} 没有本规则集族（{family}）的现行运行，暂无可比较的影响。",
                              "{period} has no current run of this ruleset family ({family}): no impact to show."),
        "serve.whatif.same_score": ("总分未变（等次规则或其他单位的结果有变化）",
                                     "same score (the grade rules or other units' results changed)"),
        "serve.whatif.no_grade_change": ("没有单位的等次发生变化。", "No unit changes grade."),
        "serve.whatif.grade_units": ("等次变化的单位（{count} 个）", "Units whose grade changes ({count})"),
        "serve.whatif.more": ("另有 {count} 个单位未列出（完整结果：kaohe diff {run} --ruleset {path}）",
                              "{count} more units not listed (all of them: kaohe diff {run} --ruleset {path})"),
        "serve.whatif.failed": ("计算修改影响时出现内部错误：{error}", "the what-if failed: {error}"),
    }
)

router = APIRouter()


@dataclass
class WhatIf:
    """The impact shown in the panel: against which run, the diff's report context, or its problems."""

    run: RunInfo
    context: dict[str, Any] | None = None
    problems: list[dict[str, object]] = field(default_factory=list)

    @property
    def grade_units(self) -> list[dict[str, Any]]:
        """The units whose grade changes (with their causes in words)."""
        return [u for u in (self.context or {}).get("units", []) if u["grade_changed"]]


def impact(runs: RunCache, ruleset: Ruleset, source: str, base: RunInfo,
           evaluation: Evaluation | None = None) -> DiffResult:
    """``kaohe diff BASE --ruleset NEW``: ``evaluation`` is ``ruleset`` on ``base``'s facts when
    already computed (the preview of that run), else it is computed here."""
    from kaohe.engine.diff import compare
    from kaohe.engine.diff.sides import side_of_evaluation

    old = runs.diff_side(base)
    if evaluation is None:
        evaluation = evaluate_run(runs.store, ruleset, base)
    return compare(old, side_of_evaluation(ruleset, evaluation, source, period=base.period))


def panel_whatif(runs: RunCache, ruleset: Ruleset, source: str, preview: Preview, lang: Lang) -> WhatIf | None:
    """The what-if for the panel, or None when the preview's period has no current run of the family."""
    from kaohe.engine.diff.context import build_context

    if preview.problems or preview.evaluation is None:
        return None
    base = runs.store.current_run(ruleset.model.family_id, preview.period)
    if base is None:
        return None
    same = preview.base_run is not None and preview.base_run.id == base.id
    try:
        result = impact(runs, ruleset, source, base, preview.evaluation if same else None)
        return WhatIf(base, context=build_context(result, lang))
    except KaoheError as e:
        return WhatIf(base, problems=[p.as_dict(lang) for p in e.problems])
    except Exception as e:  # a bug must show as a problem in the panel, never take the page down
        return WhatIf(base, problems=[Problem("serve.whatif.failed", {"error": f"{type(e).__name__}: {e}"})
                                      .as_dict(lang)])


def office_only(p: Principal) -> None:
    """The what-if shows every unit: anyone but the office and admins gets "not found"."""
    if p.user.role not in ("admin", "office"):
        raise NotFound


@router.get("/api/runs/{run}/whatif")
async def whatif_api(request: Request, run: str, ruleset: Annotated[str, Query(max_length=500)] = "") -> Response:
    """``kaohe diff RUN --ruleset PATH --json`` (PATH relative to the rulesets folder), nothing stored;
    422 with the problems when the ruleset is missing, invalid or cannot read the run's facts."""
    from kaohe.engine.serve.launch import ruleset_at
    from kaohe.engine.serve.params import parameter_error

    p = signed_in(request)
    office_only(p)  # before anything else: a unit account learns nothing, not even a missing parameter
    info = visible_run(request, p, run)
    st = state(request)
    lang = lang_of(request)
    try:
        if not ruleset:
            raise parameter_error([{"type": "missing", "loc": ("query", "ruleset")}])
        _, rs = ruleset_at(st, ruleset)
        result = await run_in_threadpool(impact, st.runs, rs, ruleset, info)
    except KaoheError as e:
        return problems_response(e, request)
    return JSONResponse(result.as_json(lang))
