"""PDF: the HTML report printed by headless Chromium (Debian ``chromium``).

Chromium rather than WeasyPrint: the PDF is then exactly what a reader sees
when printing the HTML report from a browser (same CSS engine, same inline
SVG charts, same CJK font fallback), and Chromium is already needed for the
browser test; WeasyPrint would be a second layout engine with its own CSS
gaps (flexbox, some SVG) and a stack of native libraries (Pango, cairo).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kaohe.engine.errors import Hint, Problem, RunError
from kaohe.engine.i18n import register
from kaohe.engine.report.output import write_bytes

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120

register(
    {
        "report.no_chromium": ("生成 PDF 需要 Chromium 浏览器，但没有找到", "PDF reports need the Chromium browser, which was not found"),
        "hint.install_chromium": ("运行 make sysdeps（apt-get install chromium fonts-noto-cjk），或用 KAOHE_CHROMIUM 指定浏览器路径",
                                  "run make sysdeps (apt-get install chromium fonts-noto-cjk), or set KAOHE_CHROMIUM to the browser"),
        "report.pdf_failed": ("Chromium 未能生成 PDF：{error}", "Chromium could not print the PDF: {error}"),
    }
)


def find_chromium() -> str:
    """The Chromium executable: ``KAOHE_CHROMIUM``, else the first of :data:`CANDIDATES` on PATH."""
    configured = os.environ.get("KAOHE_CHROMIUM")
    found = shutil.which(configured) if configured else next(
        (p for p in map(shutil.which, CANDIDATES) if p), None)
    if not found:
        raise RunError(Problem("report.no_chromium", hint=Hint("hint.install_chromium")))
    return found


def chromium_args(exe: str, profile: str) -> list[str]:
    """Flags for a quiet, offline, throw-away headless browser."""
    return [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", f"--user-data-dir={profile}"]


def html_to_pdf(html: str, out: Path) -> Path:
    """Print ``html`` to ``out`` as PDF (A4, backgrounds on, no browser header/footer)."""
    exe = find_chromium()
    out = Path(out)
    # Chromium's helper processes may still be leaving the profile when it exits: never fail on its cleanup
    with tempfile.TemporaryDirectory(prefix="kaohe-pdf-", ignore_cleanup_errors=True) as tmp:
        page = Path(tmp) / "report.html"
        printed = Path(tmp) / "report.pdf"  # printed beside the page, then moved: never half a PDF at `out`
        page.write_text(html, encoding="utf-8")
        args = [*chromium_args(exe, str(Path(tmp) / "profile")), "--no-pdf-header-footer",
                f"--print-to-pdf={printed}", page.as_uri()]
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise RunError(Problem("report.pdf_failed", {"error": str(e)})) from e
        if proc.returncode != 0 or not printed.exists() or printed.stat().st_size == 0:
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            raise RunError(Problem("report.pdf_failed", {"error": f"exit {proc.returncode}: {' | '.join(tail)}"}))
        write_bytes(out, printed.read_bytes())
    return out
