#!/usr/bin/env python3
"""The monthly revenue workbook written with openpyxl: the comparison for the report benchmark.

Writes the same workbook as dispatch_reporting::revenue::revenue_workbook (Template tab and month
tab, bold ruled header, frozen header rows, column widths, yyyy-mm-dd dates, $#,##0.00 money,
workbook-level defined names GuestCount/Revenue/Tips and SUM totals over them) from the JSON the
benchmark (crates/reporting/benches/report.rs) writes:

    {"title": "May 2024", "columns": ["Date", ...], "widths": [12.0, ...],
     "rows": [["2024-05-03", "Sea Lark", ["Ann Lee"], 1, "1000.50", "100.01", "Ana Silva",
               ["Bo Lee"]], ...]}        (rows already filtered and in report order)

Usage: openpyxl_report.py DATA.json OUT.xlsx [--write-only]

Prints one JSON line: load_s (reading the JSON), write_s (building and saving the workbook),
peak_kb (ru_maxrss of this process) and rows.
"""

import json
import resource
import sys
import time
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

SUMMED = {"Guest count": "GuestCount", "Revenue": "Revenue", "Tips": "Tips"}
DATE_FMT = "yyyy-mm-dd"
MONEY_FMT = "$#,##0.00"


def cells(row, columns):
    """The month-tab values of one row, in column order, with their number formats."""
    day, vessel, guests, count, revenue, tips, captain, crew = row
    by_header = {
        "Date": (date.fromisoformat(day), DATE_FMT),
        "Vessel": (vessel, None),
        "Guests": (", ".join(guests), None),
        "Guest count": (count, None),
        "Revenue": (float(Decimal(revenue)), MONEY_FMT),
        "Tips": (float(Decimal(tips)), MONEY_FMT),
        "Captain": (captain, None),
        "Crew": (", ".join(crew), None),
    }
    return [by_header[c] for c in columns]


def build(data, out, write_only):
    title, columns, widths, rows = data["title"], data["columns"], data["widths"], data["rows"]
    bold = Font(bold=True)
    ruled = Border(bottom=Side(style="thin"))
    wb = Workbook(write_only=write_only)
    if not write_only:
        wb.remove(wb.active)
    template = wb.create_sheet("Template")
    month = wb.create_sheet(title)
    for ws in (template, month):
        ws.freeze_panes = "A2"
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w + 0.7109375

    def put(ws, r, values):
        """values: (value, number_format, bold, ruled) per column; r is 1-based."""
        if write_only:
            line = []
            for v, fmt, b, rule in values:
                c = WriteOnlyCell(ws, value=v)
                if fmt:
                    c.number_format = fmt
                if b:
                    c.font = bold
                if rule:
                    c.border = ruled
                line.append(c)
            ws.append(line)
        else:
            for j, (v, fmt, b, rule) in enumerate(values, start=1):
                c = ws.cell(row=r, column=j, value=v)
                if fmt:
                    c.number_format = fmt
                if b:
                    c.font = bold
                if rule:
                    c.border = ruled

    header = [(h, None, True, True) for h in columns]
    put(template, 1, header)
    put(month, 1, header)
    for i, row in enumerate(rows, start=2):
        put(month, i, [(v, fmt, False, False) for v, fmt in cells(row, columns)])
    last = max(len(rows), 1) + 1
    total = []
    for j, col in enumerate(columns):
        name = SUMMED.get(col)
        if name:
            fmt = MONEY_FMT if col != "Guest count" else None
            total.append((f"=SUM({name})", fmt, True, False))
            letter = get_column_letter(j + 1)
            ref = f"'{title}'!${letter}$2:${letter}${last}"
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
        elif j == 0:
            total.append(("Total", None, True, False))
        else:
            total.append((None, None, False, False))
    put(month, last + 1, total)
    wb.save(out)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    write_only = "--write-only" in sys.argv
    t0 = time.perf_counter()
    with open(args[0], encoding="utf-8") as f:
        data = json.load(f)
    t1 = time.perf_counter()
    build(data, args[1], write_only)
    t2 = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"load_s": t1 - t0, "write_s": t2 - t1, "peak_kb": peak_kb,
                      "rows": len(data["rows"])}))


if __name__ == "__main__":
    main()
