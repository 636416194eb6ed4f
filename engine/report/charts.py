"""Report charts drawn with matplotlib (Agg backend) and embedded as inline SVG.

Text stays text (``svg.fonttype: none``): each chart is a few kB instead of
the tens of kB that glyph outlines cost, Chinese labels remain selectable
and searchable (also in the PDF), and the browser draws them with the first
installed font of :data:`FONT_FAMILIES` (Noto Sans CJK on Linux, YaHei or
PingFang elsewhere).  Matplotlib itself needs a CJK font only for measuring
labels; without one, layout is approximate but nothing breaks.

Output is deterministic (fixed hash salt, no date metadata) so golden files
and re-runs are stable.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from markupsafe import Markup

from kaohe.engine.errors import Hint, Problem, RunError
from kaohe.engine.i18n import register

FONT_FAMILIES = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
                 "WenQuanYi Zen Hei", "DejaVu Sans"]
LIGHT_COLOURS = {"green": "#1a7f37", "yellow": "#b08800", "red": "#cf222e", "none": "#999999"}
ACCENT = "#3465a4"
MUTED = "#b0b7c3"

register(
    {
        "report.no_matplotlib": ("绘制报告图表需要 matplotlib：{error}", "report charts need matplotlib: {error}"),
        "hint.install_matplotlib": ("运行 pip install matplotlib（或 make install）",
                                    "run pip install matplotlib (or make install)"),
    }
)


@cache
def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as e:
        raise RunError(Problem("report.no_matplotlib", {"error": str(e)},
                               hint=Hint("hint.install_matplotlib"))) from e
    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    installed = {f.name for f in font_manager.fontManager.ttflist}
    families = [f for f in FONT_FAMILIES if f in installed] or ["DejaVu Sans"]
    matplotlib.rcParams.update({
        "svg.fonttype": "none",
        "svg.hashsalt": "kaohe",
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "font.size": 9,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })
    return plt


def _integer_axis(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_FONT_DECL = re.compile(r"font-family:\s*[^;\"]*")


def _svg(fig: Any, *, tight: bool = True) -> Markup:
    """The figure as an inline ``<svg>`` element (XML prolog and DOCTYPE dropped)."""
    plt = _pyplot()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight" if tight else None)
    plt.close(fig)
    text = buf.getvalue()
    text = _METADATA.sub("", text[text.index("<svg"):])
    # Name the whole CJK fallback list, so a PC without Noto uses YaHei/PingFang.
    families = ", ".join(f"'{f}'" for f in FONT_FAMILIES) + ", sans-serif"
    text = _FONT_DECL.sub(f"font-family: {families}", text)
    return Markup(text)  # noqa: S704 - produced by matplotlib from escaped text


def grade_distribution(grades: Sequence[dict[str, Any]], *, count_label: str, quota_label: str) -> Markup:
    """Bars of units per grade, with the quota's places (``grades[].places``, an integer) as a dashed marker."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.6, 1.7))
    names = [g["name"] for g in grades]
    counts = [g["count"] for g in grades]
    xs = range(len(names))
    ax.bar(xs, counts, color=ACCENT, label=count_label)
    labelled = False
    for x, g in zip(xs, grades, strict=True):
        if g.get("places") is not None:
            ax.hlines(g["places"], x - 0.4, x + 0.4, colors=LIGHT_COLOURS["red"],
                      linestyles="dashed", label=None if labelled else quota_label)
            labelled = True
        ax.annotate(str(g["count"]), (x, g["count"]), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs), names)
    _integer_axis(ax)
    ax.legend(fontsize=7, frameon=False)
    return _svg(fig)


def score_histogram(scores: Sequence[float], *, title: str, xlabel: str, ylabel: str) -> Markup:
    """Histogram of one category's total scores."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.6, 1.7))
    lo, hi = (min(scores), max(scores)) if scores else (0.0, 100.0)
    bins = max(1, min(20, int(hi - lo) + 1)) if hi > lo else 1
    ax.hist(scores, bins=bins, color=ACCENT, edgecolor="white")
    ax.set_title(title, fontsize=9)
    _integer_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _svg(fig)


def unit_vs_category(labels: Sequence[str], unit_scores: Sequence[float | None],
                     category_means: Sequence[float | None], *, unit_label: str, mean_label: str) -> Markup:
    """Horizontal bars: the unit's indicator scores against its category's average."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.2, 0.5 + 0.34 * max(1, len(labels))))
    labels = [_wrap(label, LABEL_CHARS) for label in labels]
    ys = list(range(len(labels)))
    ax.barh([y + 0.2 for y in ys], [s or 0 for s in unit_scores], height=0.38, color=ACCENT, label=unit_label)
    ax.barh([y - 0.2 for y in ys], [s or 0 for s in category_means], height=0.38, color=MUTED, label=mean_label)
    ax.set_yticks(ys, list(labels))
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
    # Fixed margins instead of a tight bounding box: one draw per chart, not two (cards are many).
    fig.subplots_adjust(left=0.34, right=0.97, top=0.97, bottom=0.3)
    return _svg(fig, tight=False)


LABEL_CHARS = 7
"""Characters per line of a bar label (long Chinese labels wrap instead of being cut off)."""


def _wrap(label: str, width: int) -> str:
    """Break ``label`` into lines of at most ``width`` characters (Chinese has no spaces to break at)."""
    if len(label) <= width:
        return label
    lines = [label[i:i + width] for i in range(0, len(label), width)]
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def trends(periods: Sequence[str], series: Sequence[tuple[str, Sequence[float | None], Sequence[str]]]) -> Markup:
    """Small multiples: one sparkline per indicator, points coloured by that period's light."""
    plt = _pyplot()
    n = max(1, len(series))
    fig, axes = plt.subplots(1, n, figsize=(1.5 * n, 1.2), squeeze=False)
    xs = list(range(len(periods)))
    for ax, (label, values, lights) in zip(axes[0], series, strict=False):
        pts = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color=ACCENT, linewidth=1)
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=10, zorder=3,
                       c=[LIGHT_COLOURS.get(lights[x], MUTED) for x, _ in pts])
        ax.set_title(_wrap(label, 2 * LABEL_CHARS), fontsize=7)
        ax.set_xticks(xs, [p[-2:] for p in periods], fontsize=6)
        ax.tick_params(axis="y", labelsize=6)
    fig.subplots_adjust(left=0.12, right=0.98, top=0.7, bottom=0.17, wspace=0.45)
    return _svg(fig, tight=False)
