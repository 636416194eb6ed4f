"""Write a workbook so that the same form is the same bytes (examples are committed and compared).

openpyxl stamps the save time into ``docProps/core.xml`` and the zip entries;
we write through its ``ExcelWriter`` with fixed document times and a zip whose
entries all carry the same fixed date, so only the content decides the bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

FIXED = dt.datetime(2000, 1, 1)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries are all dated ``_ZIP_TIME``."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: int | None = None,
              compresslevel: int | None = None, *, strict_timestamps: bool = True) -> None:
        # openpyxl writes each worksheet to a temporary file first: take its bytes, not its file time
        with open(filename, "rb") as f:
            self.writestr(str(arcname or filename), f.read())


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes of ``wb``, independent of when it is written."""
    wb.properties.creator = "kaohe"
    wb.properties.lastModifiedBy = "kaohe"
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    buffer = io.BytesIO()
    with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return buffer.getvalue()


def save(wb: Workbook, path: Path) -> None:
    """Write ``wb`` to ``path`` atomically (a half-written form never replaces a good one)."""
    data = workbook_bytes(wb)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".kaohe-form-", suffix=".xlsx", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
