"""The hostile-input corpus (issue 8): rulesets, facts, templates and databases made to hurt.

Each case is a folder under ``tests/hostile/`` with a ``case.yaml``::

    about: what the case is
    run: [validate, rulesets/court/court.yaml]   # the kaohe command line
    exit: 1                                      # the exit code it must give
    expect: ["rulesets/court/court.yaml:4:10", "extends 只能指向"]   # in stdout + stderr
    absent: ["SETTINGS-TOKEN"]                   # never in any output
    files: {rulesets/court/court.yaml: "…"}      # written over the base project
    replace: {rulesets/court/court.yaml: [[old, new]]}
    generate: {big.csv: huge_field}              # files built by the generators below
    symlinks: {rulesets/national/core.yaml: "{outside}/secret.yaml"}
    env: {KAOHE_LIBRARY: "{outside}"}            # environment variables for the commands
    before: [[run, …]]                           # commands that must succeed first
    damage: {file: kaohe.db, table: unit_results}
    seconds: 20                                  # the case must finish this fast

Every case starts from ``tests/hostile/_base`` (the mini court ruleset in
``rulesets/court/`` and its facts ``q1.csv``), runs in a fresh project folder,
and has a folder *outside* the project holding a secret: a text file, a YAML
file and a valid ruleset, each with a canary string.  ``{outside}``,
``{project}`` and ``{run}`` (the first stored run) are replaced in ``run``,
``files`` and ``expect``.  Whatever the case, the canary and the first line of
``/etc/passwd`` must never appear in the output or in any file kaohe wrote,
and there is never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

CORPUS = Path(__file__).parent / "hostile"
CASES = sorted(p.parent for p in CORPUS.glob("*/case.yaml"))
NOT_SHOWN = [Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0]] if Path("/etc/passwd").is_file() else []


# -- generated files (too big or too binary to keep in the repository) ---------------

def _huge_field(path: Path) -> None:
    base = (CORPUS / "_base" / "q1.csv").read_text(encoding="utf-8").splitlines()
    base[2] = base[2].replace("刑二庭", "刑二庭" + "长" * 140_000)
    path.write_text("\n".join(base) + "\n", encoding="utf-8")


def _deep_json(path: Path) -> None:
    path.write_text('[{"unit": "c01", "name": ' + "[" * 100_000 + "]" * 100_000 + "}]", encoding="utf-8")


def _deep_yaml(path: Path) -> None:
    path.write_text("kaohe: 1\nid: deep\nname: 深\nperiod: year\nx: " + "[" * 100_000 + "]" * 100_000 + "\n",
                    encoding="utf-8")


def _huge_yaml(path: Path) -> None:
    lines = ["kaohe: 1", "id: huge", "name: 大", "period: year", "notes:"]
    lines += [f"  - 第 {i} 条说明，只为把文件撑大而写的一行文字。" for i in range(120_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _xlsx(path: Path, rows: list[list[Any]], extra_cells: dict[str, str] | None = None) -> None:
    """A minimal workbook written by hand, so a cell can sit anywhere (XFD1048576)."""
    def cell(ref: str, value: Any) -> str:
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        if isinstance(value, tuple):  # (serial, "date"): a number with a date format
            return f'<c r="{ref}" s="1"><v>{value[0]}</v></c>'
        text = str(value).replace("&", "&amp;").replace("<", "&lt;")
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    cols = "ABCDEFGHIJ"
    cells: dict[int, list[str]] = {r: [cell(f"{cols[c]}{r}", v) for c, v in enumerate(values)]
                                   for r, values in enumerate(rows, start=1)}
    for ref, value in (extra_cells or {}).items():  # after the row's own cells (a far column)
        cells.setdefault(int("".join(ch for ch in ref if ch.isdigit())), []).append(cell(ref, value))
    xml_rows = [f'<row r="{r}">' + "".join(cells[r]) + "</row>" for r in sorted(cells)]
    dimension = "A1:XFD1048576" if extra_cells else f"A1:{cols[len(rows[0]) - 1]}{len(rows)}"
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="{dimension}"/><sheetData>{"".join(xml_rows)}</sheetData></worksheet>')
    styles = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
              '<fills count="2"><fill><patternFill patternType="none"/></fill>'
              '<fill><patternFill patternType="gray125"/></fill></fills>'
              '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
              '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
              '</styleSheet>')
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>"),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/styles.xml": styles,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)


def _csv_rows() -> list[list[Any]]:
    lines = (CORPUS / "_base" / "q1.csv").read_text(encoding="utf-8").splitlines()
    rows: list[list[Any]] = []
    for line in lines:
        cells: list[Any] = line.split(",")
        rows.append([float(c) if c.replace(".", "", 1).isdigit() else c for c in cells])
    return rows


def _far_cell_xlsx(path: Path) -> None:
    _xlsx(path, _csv_rows(), {"XFD1048576": "x"})


def _far_cell_near_header_xlsx(path: Path) -> None:
    """3,000 units and a stray cell in the third row, where a header may still be: the sheet
    must not become 16,384 columns wide for every row."""
    rows = _csv_rows()[:1]
    rows += [[f"u{i:04d}", f"单位{i}", "criminal", 100.0, float(80 + i % 20), 75.0, 0.0, 0.0] for i in range(3000)]
    _xlsx(path, rows, {"XFD3": "x"})


def _date_in_number_xlsx(path: Path) -> None:
    rows = _csv_rows()
    rows[3][5] = (45717, "date")  # c03's expert score typed as a date (2025-03-01)
    _xlsx(path, rows)


GENERATORS: dict[str, Callable[[Path], None]] = {
    "huge_field": _huge_field, "deep_json": _deep_json, "deep_yaml": _deep_yaml, "huge_yaml": _huge_yaml,
    "far_cell_xlsx": _far_cell_xlsx, "far_cell_near_header_xlsx": _far_cell_near_header_xlsx,
    "date_in_number_xlsx": _date_in_number_xlsx,
}


# -- the runner -----------------------------------------------------------------------

@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def expired(_signum: int, _frame: Any) -> None:
        raise TimeoutError(f"the case took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _outside(root: Path, canary: str) -> Path:
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"password: {canary}\n", encoding="utf-8")
    (outside / "secret.yaml").write_text(f"token: {canary}\nhost: {canary}.example\n", encoding="utf-8")
    base = (CORPUS / "_base" / "rulesets" / "court" / "court.yaml").read_text(encoding="utf-8")
    (outside / "core.yaml").write_text(base.replace("迷你法院", f"外部规则集 {canary}"), encoding="utf-8")
    return outside


def _damage(db: Path, table: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    conn.close()
    with db.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xde\xad\xbe\xef" * (page_size // 4))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    canary = "CANARY-" + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:12]
    outside = _outside(tmp_path, canary)
    project = tmp_path / "project"
    shutil.copytree(CORPUS / "_base", project)
    for f in case.iterdir():
        if f.name != "case.yaml":
            (shutil.copytree if f.is_dir() else shutil.copy)(f, project / f.name, **(
                {"dirs_exist_ok": True} if f.is_dir() else {}))

    def fill(text: str, run_id: str = "") -> str:
        return text.replace("{outside}", str(outside)).replace("{project}", str(project)).replace("{run}", run_id)

    for rel, text in (spec.get("files") or {}).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(fill(text), encoding="utf-8")
    for rel, edits in (spec.get("replace") or {}).items():
        text = (project / rel).read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, f"{case.name}: `{old}` not in {rel}"
            text = text.replace(old, fill(new))
        (project / rel).write_text(text, encoding="utf-8")
    for rel, generator in (spec.get("generate") or {}).items():
        GENERATORS[generator](project / rel)
    for rel, target in (spec.get("symlinks") or {}).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).symlink_to(fill(target))

    from kaohe.engine.cli import app

    monkeypatch.chdir(project)
    monkeypatch.setenv("KAOHE_DB", f"sqlite:///{project / 'kaohe.db'}")
    monkeypatch.delenv("KAOHE_LIBRARY", raising=False)
    for name, value in (spec.get("env") or {}).items():
        monkeypatch.setenv(name, fill(value))
    runner = CliRunner()

    def kaohe(args: list[str]) -> tuple[int, str]:
        r = runner.invoke(app, args, catch_exceptions=False)
        return r.exit_code, r.stdout + r.stderr

    run_id = ""
    with _deadline(float(spec.get("seconds", 30))):
        for before in spec.get("before") or []:
            code, output = kaohe([fill(a) for a in before])
            assert code == 0, f"{case.name}: setup {before} failed: {output}"
        if spec.get("before"):
            run_id = json.loads(kaohe(["runs", "--json"])[1])["runs"][0]["id"]
        if spec.get("damage"):
            _damage(project / spec["damage"]["file"], spec["damage"]["table"])
        code, output = kaohe([fill(a, run_id) for a in spec["run"]])

    assert code == spec["exit"], f"{case.name}: exit {code}, expected {spec['exit']}:\n{output}"
    for expected in spec.get("expect") or []:
        assert fill(expected, run_id) in output, f"{case.name}: `{fill(expected, run_id)}` not in:\n{output}"
    for banned in ["Traceback", "内部错误", "internal error", *(spec.get("absent") or [])]:
        assert banned not in output, f"{case.name}: `{banned}` in:\n{output}"
    # nothing from outside the project, in what was printed or in any file kaohe wrote
    for secret in [canary, *NOT_SHOWN]:
        assert secret not in output, f"{case.name}: a file outside the project was shown:\n{output}"
        for written in project.rglob("*"):
            if written.is_file() and not written.is_symlink():
                assert secret.encode() not in written.read_bytes(), f"{case.name}: {written} holds {secret}"
