"""The weekly figures as CSV: one row per week, a header row, the columns named by
their path in the trends' JSON (`by_partner.<partner id>.toward`)."""

import csv
import io
import uuid
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from models.trend import WeekFigures
from models.vocabulary import SIGNS


def _flat(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    # Nested figures (each partner's, and later the check-ins') flatten the same way,
    # so what joins the weekly figures joins the export as columns.
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flat(f"{prefix}.{key}" if prefix else str(key), inner)
    else:
        yield prefix, value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date | uuid.UUID):
        return str(value)
    return repr(value) if isinstance(value, float) else str(value)


def _every_sign(week: WeekFigures) -> Mapping[str, Any]:
    """The week with a count for each of the 14 signs: a week's figures list only the
    signs noticed, and a CSV's columns must not depend on its first week."""
    checkins = week["checkins"]
    signs = {sign.value: checkins["signs"].get(sign.value, 0) for sign in SIGNS}
    return {**week, "checkins": {**checkins, "signs": signs}}


def weeks_csv(weeks: list[WeekFigures]) -> str:
    rows = [dict(_flat("", _every_sign(week))) for week in weeks]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = list(rows[0]) if rows else []
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in header])
    return out.getvalue()
