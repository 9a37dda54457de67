"""CSV export of a survey's responses, streamed from the database in constant memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC
from itertools import groupby

from sqlalchemy import select

from vocapp.db import db
from vocapp.models import Answer, Response, ResponseSource, Survey
from vocapp.services.results import Filters, questions_in_scope, scope, value_text, versions_in_scope

__all__ = ["export_header", "export_rows", "export_csv", "neutralize", "FIXED_COLUMNS"]

#: Cells starting with these make spreadsheets run a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIXED_COLUMNS = ("response_id", "submitted_at", "version", "source", "channel", "language")


def neutralize(cell: str) -> str:
    """Prefix ' to a cell a spreadsheet would run as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _cell(number: float | None, text: str | None, choices: list | None) -> str:
    """An answer as a CSV cell: choices joined with "; ", else the text, else the number."""
    if choices is not None:
        return "; ".join(map(str, choices))
    if text is not None:
        return text
    if number is None:
        return ""
    return value_text(float(number))


def export_header(survey: Survey, filters: Filters) -> list[str]:
    """The CSV columns: the response's fields, then every question key in scope."""
    return [*FIXED_COLUMNS, *(q.key for q in questions_in_scope(versions_in_scope(survey, filters)))]


def export_rows(survey: Survey, filters: Filters) -> Iterator[list[str]]:
    """The header, then one row per response (oldest first), streamed from the database.

    Everything taken from `survey` is read before the first row is asked for, so
    the rows can be streamed after the request's session has gone.
    """
    header = export_header(survey, filters)
    numbers = {v.id: v.number for v in survey.versions}
    query = (select(Response.id, Response.submitted_at, Response.survey_version_id, Response.source,
                    Response.channel, Response.language, Answer.question_key, Answer.number, Answer.text,
                    Answer.choices)
             .outerjoin(Answer, Answer.response_id == Response.id)
             .where(*scope(survey, filters))
             .order_by(Response.submitted_at, Response.id, Answer.id)
             .execution_options(yield_per=1000))
    return _rows(header, numbers, query)


def _rows(header: list[str], numbers: dict[int, int], query) -> Iterator[list[str]]:
    yield header
    keys = header[len(FIXED_COLUMNS):]
    for _, rows in groupby(db.session.execute(query), key=lambda row: row.id):
        rows = list(rows)
        first = rows[0]
        answers = {r.question_key: _cell(r.number, r.text, r.choices) for r in rows if r.question_key}
        source = first.source.value if isinstance(first.source, ResponseSource) else str(first.source)
        yield [str(first.id), first.submitted_at.astimezone(UTC).isoformat(),
               str(numbers.get(first.survey_version_id, "")), source, first.channel, first.language,
               *(answers.get(key, "") for key in keys)]


def export_csv(survey: Survey, filters: Filters, chunk_size: int = 64 * 1024) -> Iterator[str]:
    """The export as CSV text in chunks (UTF-8 BOM first so spreadsheets read every language)."""
    return _chunks(export_rows(survey, filters), chunk_size)


def _chunks(rows: Iterator[list[str]], chunk_size: int) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
