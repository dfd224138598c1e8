"""Units of measure as e-invoices name them: UN/ECE Recommendation 20 codes (EN 16931 BT-130).

A billable metric keeps its code (`BillableMetric.unit_code`); when a metric is made without one, the
code is suggested here from the unit people read ("GB", "hour", "call"). Anything counted one by one
(calls, seats, fees) is `C62`, "one".
"""

from __future__ import annotations

import re

UNIT = "C62"  # "one": a unit, a piece, an event, a seat, a fee

# Rec 20 (revision 17): the common units of a SaaS metric, by their usual names (lower case, singular).
_CODES = {
    "byte": "AD", "b": "AD",
    "kilobyte": "2P", "kb": "2P",
    "megabyte": "4L", "mb": "4L",
    "gigabyte": "E34", "gb": "E34",
    "terabyte": "E35", "tb": "E35",
    "petabyte": "E36", "pb": "E36",
    "kibibyte": "E64", "kib": "E64",
    "mebibyte": "E63", "mib": "E63",
    "gibibyte": "E62", "gib": "E62",
    "tebibyte": "E61", "tib": "E61",
    "gigabyte hour": "E34", "gb-hour": "E34", "gb hour": "E34",  # priced per GB; the hours are the period's
    "second": "SEC", "sec": "SEC", "s": "SEC",
    "minute": "MIN", "min": "MIN",
    "hour": "HUR", "hr": "HUR", "h": "HUR",
    "day": "DAY",
    "week": "WEE",
    "month": "MON",
    "year": "ANN",
    "kilowatt hour": "KWH", "kwh": "KWH",
    "piece": "H87",
    "megabit": "D36",
}
_PLURAL = re.compile(r"(?<=[a-z])s$")
CODE_PATTERN = re.compile(r"^[A-Z0-9]{2,3}$")


def unit_code_for(unit: str) -> str:
    """The Rec 20 code for a unit's name ("GB" -> E34, "hours" -> HUR); anything else counts: C62."""
    name = " ".join((unit or "").strip().lower().replace("_", " ").split())
    return _CODES.get(name) or _CODES.get(_PLURAL.sub("", name)) or UNIT


def unit_code_problem(code) -> str | None:
    """Why `code` cannot be a Rec 20 code (None when its shape is right)."""
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        return "A UN/ECE Recommendation 20 code: 2 or 3 capital letters or digits, such as C62, E34 or HUR."
    return None
