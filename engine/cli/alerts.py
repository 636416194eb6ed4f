"""``kaohe alerts``: the 督办 follow-up of alerts across periods, and notes on the measures taken."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kaohe.engine.cli.options import DbOpt, JsonOpt, LangOpt, lang_of
from kaohe.engine.cli.output import out, print_json, reported
from kaohe.engine.cli.translate import register_help
from kaohe.engine.i18n import register, text

register(
    {
        "cli.alerts.open": ("未销号", "open"), "cli.alerts.cleared": ("{period} 销号", "cleared {period}"),
        "cli.col.alert": ("编号", "alert"), "cli.col.level": ("预警", "level"),
        "cli.col.rule": ("规则", "rule"), "cli.col.opened": ("发起", "opened"),
        "cli.col.periods_open": ("持续期数", "periods"), "cli.col.notes": ("整改说明", "notes"),
        "cli.alerts.none": ("没有预警", "no alerts"),
        "cli.alerts.noted": ("已记录：{id}（{unit} · {label}）", "noted: {id} ({unit} · {label})"),
    }
)

alerts_app = typer.Typer(help="督办 follow-up: alerts from the period raised until cleared; notes on measures",
                         invoke_without_command=True, no_args_is_help=False)


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    only_open: Annotated[bool, typer.Option("--open", help="only alerts not cleared yet")] = False,
    unit: Annotated[str | None, typer.Option("--unit", help="one unit (id or name)")] = None,
    family: Annotated[str | None, typer.Option("--family", help="one ruleset family")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List alerts: when each was raised, whether it is still open, for how many periods, and the notes."""
    if ctx.invoked_subcommand is not None:
        return
    from kaohe.engine.alerts import list_alerts
    from kaohe.engine.store import Store

    lg = lang_of(lang)
    with reported(lg, as_json):
        found = list_alerts(Store(db), family=family, unit=unit, only_open=only_open)
        if as_json:
            print_json({"alerts": [a.as_json() for a in found]})
            return
        if not found:
            out.print(text("cli.alerts.none", lg), markup=False)
            return
        table = Table(*(text(f"cli.col.{c}", lg) for c in
                        ("alert", "unit", "rule", "level", "opened", "status", "periods_open", "notes")))
        for a in found:
            status = text("cli.alerts.open", lg) if a.is_open else text("cli.alerts.cleared", lg, period=a.cleared)
            table.add_row(a.id, f"{a.unit} {a.name}", a.label, a.level, a.opened, status, str(a.periods_open),
                          "\n".join(n["text"] for n in a.notes))
        out.print(table)


@alerts_app.command("note")
def note(
    alert: Annotated[str, typer.Argument(metavar="ALERT", help="alert id (a unique prefix is enough)")],
    note_text: Annotated[str, typer.Argument(metavar="TEXT", help="the measures taken, e.g. 已开展 6S 管理培训")],
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Keep a note of the measures taken with an alert."""
    from kaohe.engine.alerts import add_note
    from kaohe.engine.store import Store

    lg = lang_of(lang)
    with reported(lg):
        a = add_note(Store(db), alert, note_text)
        out.print(text("cli.alerts.noted", lg, id=a.id, unit=a.name, label=a.label), markup=False)


register_help({
    "督办 follow-up: alerts from the period raised until cleared; notes on measures":
        "督办跟踪：每条预警从首次亮起的考核期直到消除；以及整改措施的记录",
    alerts: "列出预警：何时亮起、是否仍未消除、持续了几个考核期，以及整改记录。",
    "only alerts not cleared yet": "只列出尚未消除的预警",
    "one unit (id or name)": "只列出这个单位（编号或名称）",
    "one ruleset family": "只列出这个规则集族",
    note: "为一条预警记录已采取的整改措施。",
    "alert id (a unique prefix is enough)": "预警编号（唯一的前缀即可）",
    "the measures taken, e.g. 已开展 6S 管理培训": "已采取的措施，如 已开展 6S 管理培训",
})

COMMANDS = {"alerts": alerts_app}
