"""Reading a CSV export as a stream of rows that knows its byte offset, so an import can resume.

The file is read in binary and decoded line by line; `csv.reader` never reads
past the row it returns, so the file's position after a row is where the next
one starts. That position is what an import stores after each committed batch.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO

__all__ = ["UnusableFile", "check_encoding", "fingerprint", "CsvSource", "sniff_delimiter"]

_BOM = codecs.BOM_UTF8
_CHUNK = 1 << 20


class UnusableFile(ValueError):
    """The file cannot be imported at all (encoding, header): nothing is written."""


def check_encoding(path: Path) -> None:
    """Raise UnusableFile unless the whole file is UTF-8 (with or without BOM) without NUL bytes.

    The whole file is checked before anything is stored, so a Latin-1 byte on line 900,000
    stops the import before its first batch rather than after half of it. ASCII stretches
    (most of any export) are checked at memory speed.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    with open(path, "rb") as f:
        start = f.read(4)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise UnusableFile(f"{path} is UTF-16 or UTF-32 (byte-order mark {start[:2].hex(' ')}); "
                               "save it as UTF-8 CSV")
        f.seek(0)
        while chunk := f.read(_CHUNK):
            if b"\0" in chunk:
                at = offset + chunk.index(b"\0")
                raise UnusableFile(f"{path} has NUL bytes (line {_line_at(path, at)}): "
                                   "it is UTF-16 or binary, not a UTF-8 CSV file")
            if not chunk.isascii() or decoder.getstate()[0]:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    at = max(offset + exc.start - len(decoder.getstate()[0]), 0)
                    raise UnusableFile(
                        f"{path} is not UTF-8: byte(s) {chunk[exc.start:exc.start + 4].hex(' ')} at line "
                        f"{_line_at(path, at)} (byte offset {at}); convert it first, e.g. iconv -f latin1 -t utf-8"
                    ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise UnusableFile(f"{path} is not UTF-8: it ends in the middle of a character") from None


def _line_at(path: Path, offset: int) -> int:
    """The line number of byte `offset` of the file (for error messages)."""
    lines, done = 1, 0
    with open(path, "rb") as f:
        while done < offset and (chunk := f.read(min(_CHUNK, offset - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def fingerprint(path: Path) -> str:
    """The file's identity for resuming: size, modification time and a hash of its first 64 KB."""
    stat = os.stat(path)
    with open(path, "rb") as f:
        head = hashlib.sha256(f.read(1 << 16)).hexdigest()[:32]
    return f"{stat.st_size}:{stat.st_mtime_ns}:{head}"


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV file's first lines (comma, semicolon, tab or pipe; comma when unsure)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _dialect(sample: str, delimiter: str | None) -> type[csv.Dialect]:
    """Excel's CSV dialect with the given delimiter, or the one sniffed from `sample`."""
    if delimiter is None:
        delimiter = sniff_delimiter(sample)
    # Only the delimiter is taken from the sniffer: its quoting guesses are unreliable.
    return type("ImportDialect", (csv.excel,), {"delimiter": delimiter})


class CsvSource:
    """A CSV file opened for import: its header, and its rows from a byte offset on."""

    def __init__(self, path: Path, delimiter: str | None = ","):
        self.path = Path(path)
        self.size = os.path.getsize(self.path)
        self._file: IO[bytes] = open(self.path, "rb")  # noqa: SIM115 (closed by close())
        self._start = len(_BOM) if self._file.read(len(_BOM)) == _BOM else 0
        sample = self._file.read(1 << 16)
        sample = sample[:sample.rfind(b"\n") + 1] or sample
        self.dialect = _dialect(sample.decode("utf-8", "replace"), delimiter)
        self._file.seek(self._start)
        self._reader = csv.reader(map(bytes.decode, self._file), self.dialect)
        try:
            self.header: list[str] = [name.strip() for name in next(self._reader)]
        except StopIteration:
            raise UnusableFile(f"{self.path} is empty: no header row") from None
        except csv.Error as exc:
            raise UnusableFile(f"{self.path}: unreadable header ({exc})") from None
        if len(self.header) < 2:
            raise UnusableFile(f"{self.path}: the header has one column ({self.header[0][:60]!r}); "
                               "is the delimiter right?")
        #: Byte offset and line number of the first data row.
        self.data_offset, self.data_line = self._file.tell(), self._reader.line_num
        self._line_base = 0

    def seek(self, offset: int, line: int) -> None:
        """Read on from `offset`, the start of the row after line `line` (a resume point, or a block's start)."""
        self._file.seek(offset)
        self._line_base = line - self._reader.line_num

    def blocks(self, size: int) -> Iterator[tuple[list[list[str]], list[int], list[tuple[int, str]]]]:
        """The rows in blocks of at most `size`: (rows, the line each starts on, unreadable rows as (line, error)).

        Blank lines are skipped. Read `offset` and `line` between blocks for the position after the last one.
        """
        while True:
            offset, line = self.offset, self.line
            try:
                # The csv module in C reads the block: a Python step per row costs half as much again.
                rows = list(islice(self._reader, size))
            except csv.Error:
                # A row the reader refuses (a runaway quote reaching the csv module's field size
                # limit, a bare carriage return...): read the block again row by row.
                self.seek(offset, line)
                rows, lines, errors = self._slow_block(size)
            else:
                lines, errors = self._lines(rows, line), []
                if [] in rows:
                    kept = [(row, at) for row, at in zip(rows, lines, strict=True) if row]
                    rows, lines = [row for row, _ in kept], [at for _, at in kept]
            if rows or errors:
                yield rows, lines, errors
            elif self.offset == offset:
                return

    def _lines(self, rows: list[list[str]], line: int) -> list[int]:
        """The line each of `rows` (read from after `line`) starts on."""
        if self.line - line == len(rows):  # no row spans several lines
            return list(range(line + 1, line + 1 + len(rows)))
        lines = []
        for row in rows:
            lines.append(line + 1)
            line += 1 + sum(cell.count("\n") for cell in row)
        return lines

    def _slow_block(self, size: int) -> tuple[list[list[str]], list[int], list[tuple[int, str]]]:
        """Up to `size` rows read one by one, so that a row the reader refuses is reported and skipped."""
        reader = self._reader
        rows: list[list[str]] = []
        lines: list[int] = []
        errors: list[tuple[int, str]] = []
        for _ in range(size):
            previous = self.line
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. a field over the size limit: the reader goes on after it
                errors.append((previous + 1, str(exc)))
                continue
            if row:
                rows.append(row)
                lines.append(previous + 1)
        return rows, lines, errors

    @property
    def offset(self) -> int:
        """The byte offset after the last row read."""
        return self._file.tell()

    @property
    def line(self) -> int:
        """The number of lines up to and including the last row read."""
        return self._line_base + self._reader.line_num

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
