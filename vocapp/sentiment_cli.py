"""`vocapp sentiment FILE --column text`: a CSV in, the same CSV out with each text's sentiment added.

The file is read as UTF-8 (a byte-order mark is skipped) and streamed in batches,
so memory stays flat however big it is: rows are read, scored together by
`surveys.sentiment.analyze`, written to stdout, and forgotten. The output keeps
the input's delimiter (sniffed from its first 64 KB, like the request importers)
and line ends, every row in its order, and appends four columns:

    label     positive, neutral or negative
    compound  VADER's compound score, -1..1, four decimals
    language  the detected language (ISO 639-1, "und" when unknown)
    flags     the flags raised (closed_not_fixed, still_waiting...), joined with ";"

When the file already has a column called label, compound, language or flags
(a labelled evaluation set, say), the four are named sentiment_label,
sentiment_compound, sentiment_language and sentiment_flags instead, so no name is
ambiguous. Bytes that are not UTF-8 do not stop the run: the line is decoded with
replacement characters (U+FFFD), written, and a warning naming the line goes to
stderr. Exit status 2: no such file, no header, no such column (the message
lists the columns there are), or a row the CSV reader cannot read.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import IO

import click

from vocapp.connectors.csv_source import sniff_delimiter

__all__ = ["sentiment_command", "score_csv", "ADDED", "Report"]

#: The columns added to every row.
ADDED = ("label", "compound", "language", "flags")
#: Rows per batch, and the most text one batch holds (whichever comes first).
BATCH_ROWS = 1000
BATCH_CHARS = 2_000_000
#: Bytes read to sniff the delimiter and line ends.
SAMPLE = 1 << 16
#: The longest field the CSV reader accepts (characters); the csv module's default is 128 K.
FIELD_LIMIT = 32 * 1024 * 1024


class CsvUnusable(click.ClickException):
    """The file cannot be scored: message on stderr, exit status 2."""

    exit_code = 2


@dataclass
class Report:
    """What a run did."""

    rows: int = 0
    bad_lines: list[int] = field(default_factory=list)
    failed_rows: int = 0


def _dialect(sample: str) -> tuple[str, str]:
    """(delimiter, line terminator) of the file from its first lines."""
    first = sample.split("\n", 1)[0]
    return sniff_delimiter(sample), "\r\n" if first.endswith("\r") else "\n"


class _Lines:
    """The file's physical lines, decoded one by one; a line that is not UTF-8 is decoded with
    replacement characters and its number reported through `warn`."""

    def __init__(self, stream: IO[bytes], head: bytes, warn):
        self.stream, self.head, self.warn = stream, head, warn
        self.number = 0

    def _raw(self) -> Iterator[bytes]:
        """The lines of `head` and then of the stream; the line `head` cuts in two is joined again."""
        carry = b""
        for piece in chain(io.BytesIO(self.head), self.stream):
            if piece.endswith(b"\n"):
                yield carry + piece
                carry = b""
            else:  # the end of `head`, or the file's last line
                carry += piece
        if carry:
            yield carry

    def __iter__(self) -> Iterator[str]:
        for raw in self._raw():
            self.number += 1
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.warn(self.number, raw[exc.start:exc.start + 4], exc.start + 1)
                yield raw.decode("utf-8", "replace")


def _find_column(header: list[str], column: str) -> int | None:
    names = [name.strip() for name in header]
    if column in names:
        return names.index(column)
    folded = [i for i, name in enumerate(names) if name.casefold() == column.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _analyze(texts: list[str], mode: str, lines: list[int], warn_failed) -> list:
    """The batch's sentiments; a text the analyser cannot take gets None (and a warning), never a crash."""
    from surveys.sentiment import analyze

    try:
        return list(analyze(texts, mode=mode))
    except Exception:  # noqa: BLE001 (one bad text must not lose the batch: retry one by one)
        found = []
        for text, line in zip(texts, lines, strict=True):
            try:
                found.append(analyze([text], mode=mode)[0])
            except Exception as exc:  # noqa: BLE001
                warn_failed(line, exc)
                found.append(None)
        return found


def score_csv(src: IO[bytes], out: IO[bytes], err: IO[str], column: str, mode: str = "domain",
              name: str = "the file", progress: bool = False) -> Report:
    """Read a CSV from `src`, write it with sentiment columns to `out`; warnings go to `err`."""
    report = Report()
    head = src.read(SAMPLE)
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvUnusable(f"{name} is UTF-16 (byte-order mark {head[:2].hex(' ')}); save it as UTF-8 CSV")
    sample = head[:head.rfind(b"\n") + 1] or head
    delimiter, terminator = _dialect(sample.decode("utf-8", "replace"))
    dialect = type("SentimentDialect", (csv.excel,), {"delimiter": delimiter, "lineterminator": terminator})

    def warn(line: int, bad: bytes, column_no: int) -> None:
        report.bad_lines.append(line)
        err.write(f"warning: line {line}, column {column_no}: not UTF-8 (byte(s) {bad.hex(' ')}); "
                  "written with replacement characters (U+FFFD)\n")

    def warn_failed(line: int, exc: Exception) -> None:
        report.failed_rows += 1
        err.write(f"warning: line {line}: the text could not be analysed ({type(exc).__name__}); "
                  "its sentiment columns are left empty\n")

    lines = _Lines(src, head, warn)
    reader = csv.reader(lines, dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvUnusable(f"{name} is empty: no header row") from None
    except csv.Error as exc:
        raise CsvUnusable(f"{name}, line {lines.number}: unreadable header ({exc})") from None
    index = _find_column(header, column)
    if index is None:
        shown = ", ".join(repr(h.strip()) for h in header) or "(none)"
        label = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]
        raise CsvUnusable(f"{name} has no column {column!r}; its columns are {shown} "
                          f"({label}-delimited). Name the text column with --column.")
    taken = {h.strip().casefold() for h in header} & set(ADDED)
    added = [f"sentiment_{a}" if taken else a for a in ADDED]
    if taken:
        err.write(f"note: {name} already has a column called {', '.join(sorted(taken))}; "
                  f"the sentiment columns are named {', '.join(added)}\n")
    width = len(header)
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect)
    writer.writerow([*header, *added])

    def flush(rows: list[list[str]], starts: list[int]) -> None:
        texts = [row[index] if index < len(row) else "" for row in rows if row]
        scored = iter(_analyze(texts, mode, [s for row, s in zip(rows, starts, strict=True) if row],
                               warn_failed) if texts else [])
        for row in rows:
            if not row:  # a blank line stays a blank line
                writer.writerow([])
                continue
            s = next(scored)
            row = row + [""] * (width - len(row))
            extra = ["", "", "", ""] if s is None else \
                [s.label, f"{s.compound:.4f}", s.language, ";".join(s.flags)]
            writer.writerow([*row, *extra])
        out.write(buffer.getvalue().encode("utf-8"))
        out.flush()
        buffer.seek(0)
        buffer.truncate()

    rows: list[list[str]] = []
    starts: list[int] = []
    chars = 0
    while True:
        start = lines.number + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            flush(rows, starts)
            raise CsvUnusable(f"{name}, line {lines.number}: unreadable row ({exc}); the rows before it "
                              "were written") from None
        rows.append(row)
        starts.append(start)
        if len(row) > width:
            err.write(f"warning: line {start}: {len(row)} fields where the header has {width}; "
                      "the sentiment columns follow the extra fields\n")
        chars += len(row[index]) if index < len(row) else 0
        report.rows += 1 if row else 0
        if len(rows) >= BATCH_ROWS or chars >= BATCH_CHARS:
            flush(rows, starts)
            rows, starts, chars = [], [], 0
            if progress:
                err.write(f"\r{report.rows:,} rows scored")
                err.flush()
    flush(rows, starts)
    if progress:
        err.write("\r")
    return report


@click.command("sentiment")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--column", default="text", show_default=True, help="The column holding the texts.")
@click.option("--mode", type=click.Choice(["domain", "general"]), default="domain", show_default=True,
              help="domain: tuned for 311 comments, with flags; general: plain VADER.")
def sentiment_command(file: str, column: str, mode: str):
    """Score the texts of a CSV FILE ("-" for stdin) and write it to stdout with label, compound,
    language and flags added (same rows, same order)."""
    old_limit = csv.field_size_limit(FIELD_LIMIT)
    out, err = sys.stdout.buffer, sys.stderr
    try:
        if file == "-":
            report = score_csv(sys.stdin.buffer, out, err, column, mode, name="stdin")
        else:
            try:
                src = open(file, "rb")  # noqa: SIM115 (closed below)
            except OSError as exc:
                raise CsvUnusable(f"cannot read {file}: {exc.strerror}") from None
            with src:
                report = score_csv(src, out, err, column, mode, name=file, progress=err.isatty())
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    finally:
        csv.field_size_limit(old_limit)
    bad = report.bad_lines
    note = f"; {len(bad)} line(s) not UTF-8 (first: line {bad[0]})" if bad else ""
    failed = f"; {report.failed_rows} text(s) could not be analysed" if report.failed_rows else ""
    err.write(f"vocapp sentiment: {report.rows} row(s) scored ({mode}){note}{failed}\n")
