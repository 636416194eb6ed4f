"""The rulesets folder the server was started on: safe paths, validation status, atomic saves.

Every ruleset a request names is a path *relative to* that folder; anything
that would leave it (``..``, an absolute path, a symlink pointing out, a NUL)
or is not a ``.yaml``/``.yml`` file is treated as not existing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from kaohe.engine.errors import KaoheError, Problem
from kaohe.engine.i18n import Lang, register

register(
    {
        "serve.loader_failed": ("加载规则集时出现内部错误：{error}", "the ruleset loader failed: {error}"),
        "serve.no_ruleset": ("规则集目录中没有 `{path}`", "no ruleset `{path}` in the rulesets folder"),
    }
)

SUFFIXES = (".yaml", ".yml")
MAX_RULESET_BYTES = 2 * 1024 * 1024


def resolve(root: Path, rel: str) -> Path | None:
    """The file ``rel`` names inside ``root``, or None when it is outside, missing or not a ruleset."""
    if not rel or "\x00" in rel or rel.startswith(("/", "\\")) or len(rel) > 500:
        return None
    base = root.resolve()
    try:
        path = (base / rel).resolve()
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(base) or path.suffix.lower() not in SUFFIXES or not path.is_file():
        return None
    if any(part == "templates" for part in path.relative_to(base).parts[:-1]):
        return None
    return path


def relative(root: Path, path: Path) -> str:
    """``path`` as the server names it: relative to the folder, with ``/``."""
    return path.resolve().relative_to(root.resolve()).as_posix()


def ruleset_files(root: Path) -> list[Path]:
    """Every ruleset file under ``root`` (not region templates), sorted."""
    base = root.resolve()
    return sorted(p for p in base.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
                  and "templates" not in p.relative_to(base).parts[:-1]
                  and p.resolve().is_relative_to(base))


def fingerprint(path: Path) -> str:
    """Changes whenever the file's content changes (mtime, size and a hash of the bytes)."""
    try:
        data = path.read_bytes()
        st = path.stat()
    except OSError:
        return "missing"
    return f"{st.st_mtime_ns}-{st.st_size}-{hashlib.sha256(data).hexdigest()[:16]}"


def folder_fingerprint(root: Path) -> str:
    """Changes when any ruleset in the folder changes (a child's validity depends on its parents)."""
    parts = []
    for p in ruleset_files(root):
        st = p.stat()
        parts.append(f"{p}:{st.st_mtime_ns}:{st.st_size}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def save_atomically(path: Path, content: str) -> None:
    """Replace ``path`` with ``content``: written to a temporary file beside it, flushed, then renamed.

    Readers (and the author's own editor) see either the old file or the new
    one, never a half-written file; the file keeps its permissions.
    """
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def shown_problems(root: Path, problems: list[dict[str, object]]) -> list[dict[str, object]]:
    """Problems as the pages show them: files inside the folder named relative to it."""
    base = root.resolve()
    out = []
    for p in problems:
        file = p.get("file")
        if isinstance(file, str) and file:
            with contextlib.suppress(ValueError, OSError):
                p = {**p, "file": Path(file).resolve().relative_to(base).as_posix()}
        out.append(p)
    return out


@dataclass
class Status:
    """A ruleset's validation status for the list page."""

    path: str
    id: str | None = None
    name: str | None = None
    errors: list[dict[str, object]] = field(default_factory=list)
    warnings: list[dict[str, object]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Loads without errors."""
        return not self.errors


def check(path: Path, rel: str, lang: Lang, root: Path | None = None) -> Status:
    """Load ``path`` and report what is wrong (never raises for a bad ruleset)."""
    from kaohe.engine.ruleset import load_ruleset
    from kaohe.engine.ruleset.access import ExtendsPolicy

    try:  # extends may read within the served folder (and KAOHE_LIBRARY), nothing else
        rs = load_ruleset(path, extends=ExtendsPolicy((root,)) if root is not None else None)
    except KaoheError as e:
        shown = shown_problems(root or path.parent, [p.as_dict(lang) for p in e.problems])
        return Status(rel, errors=[p for p in shown if p["severity"] == "error"],
                      warnings=[p for p in shown if p["severity"] != "error"])
    except Exception as e:  # a bug in the loader must not take the page down
        return Status(rel, errors=[Problem("serve.loader_failed", {"error": f"{type(e).__name__}: {e}"}).as_dict(lang)])
    return Status(rel, rs.model.id, rs.model.name,
                  warnings=shown_problems(root or path.parent, [w.as_dict(lang) for w in rs.warnings]))


class Folder:
    """The folder's rulesets with their status, recomputed only when a file changed."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, Lang], list[Status]] = {}

    def statuses(self, lang: Lang) -> list[Status]:
        """Every ruleset and whether it loads."""
        key = (folder_fingerprint(self.root), lang)
        with self._lock:
            if key not in self._cache:
                self._cache = {key: [check(p, relative(self.root, p), lang, self.root)
                                     for p in ruleset_files(self.root)]}
            return self._cache[key]
