"""Writing report files: check the target first, never leave half a file, say what went wrong.

A report goes to a file (or, with ``--per-unit``, a folder of files).  The
target is checked before anything is rendered (:func:`check_target`), so a
directory given as ``--out`` or a file given as the ``--per-unit`` folder is
a clear error, not a traceback after seconds of work.  Regular files are
written to a temporary file beside the target and renamed over it, so a
reader never sees a half-written report and an old report is not lost when
writing fails.  Anything else that already exists (``/dev/stdout``, a pipe)
is written in place; an OS error (a full or read-only device, no permission)
becomes a :class:`RunError` naming the path.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from kaohe.engine.errors import Hint, Location, Problem, RunError
from kaohe.engine.i18n import register

register(
    {
        "report.out_is_dir": ("报告输出路径 {path} 是一个文件夹；请给出文件名（例如 {example}），或加 --per-unit 按单位写入该文件夹",
                              "the report output {path} is a folder; give a file name (e.g. {example}), or add --per-unit "
                              "to write one file per unit into it"),
        "report.per_unit_onto_file": ("--per-unit 需要一个文件夹，但 {path} 是已有的文件",
                                      "--per-unit needs a folder, but {path} is an existing file"),
        "hint.per_unit_folder": ("用 --out 指定一个新的或已有的文件夹，例如 --out cards/",
                                 "name a new or existing folder with --out, e.g. --out cards/"),
        "report.write_failed": ("无法写入报告 {path}：{error}", "cannot write the report {path}: {error}"),
    }
)


def check_target(path: Path, *, per_unit: bool, suffix: str) -> None:
    """Refuse a target that cannot take the report, before any work is done."""
    path = Path(path)
    if per_unit:
        if path.exists() and not path.is_dir():
            raise RunError(Problem("report.per_unit_onto_file", {"path": str(path)}, Location(str(path)),
                                   hint=Hint("hint.per_unit_folder")))
        return
    if path.is_dir():
        raise RunError(Problem("report.out_is_dir", {"path": str(path), "example": str(path / f"report{suffix}")},
                               Location(str(path))))


def make_folder(path: Path) -> None:
    """Create ``path`` (and its parents) as a folder, or fail clearly."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _failed(path, e) from e


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text to ``path`` (see :func:`write_bytes`)."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: atomically for a regular file, in place for a device or pipe."""
    path = Path(path)
    try:
        mode = path.stat().st_mode if path.exists() else None
        if mode is not None and not stat.S_ISREG(mode):
            with path.open("wb") as f:
                f.write(data)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            # mkstemp makes the file private; a report gets the mode a plain open() would give it
            os.chmod(tmp, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        raise _failed(path, e) from e


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _failed(path: Path, e: OSError) -> RunError:
    reason = e.strerror or str(e)
    return RunError(Problem("report.write_failed", {"path": str(path), "error": reason}, Location(str(path))))
