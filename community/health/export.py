"""A dashboard table as CSV: the raw values (percentages 0-100, times in hours), one header row of
column labels. A cell a spreadsheet would run as a formula (=, +, -, @ first) is quoted with a
leading apostrophe: member names are typed by members."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from community.health.dashboard import Table

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell(row.get(c.key)) for c in table.columns])
    return out.getvalue()
