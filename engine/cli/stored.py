"""What ``kaohe run`` says when something fails after the run was stored.

Exit 3 promises "nothing was stored".  Once the run is in the database that
is no longer true: a report that cannot be written, or a Ctrl-C while the
results are printed, exits 4 and says the run is stored, with the
``kaohe report`` command that writes the report from it.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kaohe.engine.cli.output import err, print_json
from kaohe.engine.errors import KaoheError
from kaohe.engine.i18n import Lang, register, text

if TYPE_CHECKING:
    from kaohe.engine.store import RunInfo

STORED_EXIT = 4

register(
    {
        "cli.stored.interrupted": ("已中断：运行 {id} 在中断前已保存，结果完整；查看：kaohe runs，kaohe explain {id} 单位",
                                   "interrupted: run {id} was stored before the interrupt and is complete; "
                                   "see kaohe runs, kaohe explain {id} UNIT"),
        "cli.stored.report_failed": ("运行 {id} 已保存，但报告没有写成；修正后用此命令生成报告：{command}",
                                     "run {id} is stored, but the report was not written; after fixing the problem "
                                     "write it with: {command}"),
    }
)


@dataclass
class StoredRun:
    """Filled by ``run(on_stored=...)``: the run once it is in the database."""

    infos: list[RunInfo] = field(default_factory=list)

    def __call__(self, info: RunInfo) -> None:
        self.infos.append(info)

    @property
    def info(self) -> RunInfo | None:
        """The stored run, if storing finished."""
        return self.infos[-1] if self.infos else None


def report_command(run_id: str, out: Path, fmt: str, per_unit: bool, db: str | None) -> str:
    """The ``kaohe report`` command line that writes this report from the stored run."""
    args = ["kaohe", "report", run_id, "--out", str(out), "--format", fmt]
    if per_unit:
        args.append("--per-unit")
    if db:
        args += ["--db", db]
    return shlex.join(args)


@contextmanager
def after_storing(stored: StoredRun, lang: Lang, as_json: bool,
                  command: Callable[[str], str] | None = None) -> Iterator[None]:
    """Turn a failure or Ctrl-C that comes after storing into the truth and exit 4.

    Place it inside ``reported`` (which handles everything before storing).
    """
    try:
        yield
    except (KeyboardInterrupt, KaoheError) as e:
        info = stored.info
        if info is None:
            raise
        if isinstance(e, KeyboardInterrupt):
            notice = text("cli.stored.interrupted", lang, id=info.id)
            problems: list[dict[str, object]] = []
        else:
            notice = text("cli.stored.report_failed", lang, id=info.id, command=command(info.id) if command else f"kaohe report {info.id}")
            problems = [p.as_dict(lang) for p in e.problems]
            if not as_json:
                err.print(e.render(lang), markup=False)
        if as_json and problems:  # (after a Ctrl-C stdout may hold half a document: nothing more there)
            print_json({"run": info.as_json(), "error": {"exit_code": STORED_EXIT, "stored": True,
                                                         "message": notice, "problems": problems}})
        err.print(notice, markup=False)
        raise typer.Exit(STORED_EXIT) from None
