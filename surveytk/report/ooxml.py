"""Byte-identical Office Open XML packages (DOCX, XLSX).

python-docx and openpyxl stamp each ZIP member with the current time, and
openpyxl stamps the workbook's modification time. :func:`normalise_zip`
rewrites a package with a fixed member time, in the original member order,
so that the same table gives the same bytes on every run.
"""

from __future__ import annotations

import io
import zipfile

from surveytk.report.style import FIXED_ZIP_DATE


def normalise_zip(data: bytes) -> bytes:
    """Rewrite the ZIP archive ``data`` with fixed member timestamps and attributes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            fixed.create_system = 0
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
