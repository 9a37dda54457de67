"""Cutting a CSV stream into chunks ready to store, in this process or in a forked reader process.

Reading, parsing and preparing rows is pure Python and takes about as long as
SQLite takes to store them, so a big import forks a reader process that
produces chunks while this process stores the earlier ones (a pipeline of two:
the second core does the parsing). Each chunk carries the file offset and line
after its last row; the writer commits that with the batch the chunk ends.
Small files, and systems without fork, use the same generator in-process.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import multiprocessing
import signal
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from vocapp.connectors.csv_parse import Parsed, RowParser
from vocapp.connectors.csv_source import CsvSource
from vocapp.connectors.csv_store import Prepared
from vocapp.connectors.records import RejectedRecord

__all__ = ["Chunk", "chunks", "in_background", "can_fork"]


@dataclass
class Chunk:
    """Consecutive rows of the file, parsed: the prepared upsert, quarantined rows, and where they end."""

    prepared: Prepared
    rejects: list[RejectedRecord]
    #: Rows read (blank lines are not rows).
    read: int
    #: Byte offset and line number after the chunk's last row: where an import resumed after it starts.
    offset: int
    line: int
    #: Agencies without a department so far (cumulative, for the report).
    unmapped: dict[str, int] = field(default_factory=dict)


def chunks(reader: CsvSource, parser: RowParser, prepare: Callable[[Parsed], Prepared],
           unmapped: dict[str, int], size: int) -> Iterator[Chunk]:
    """Parse the file from where `reader` stands into chunks of at most `size` rows."""
    for rows, lines, errors in reader.blocks(size):
        parsed, rejects = parser.parse_columns(rows, lines)
        rejects += [RejectedRecord(line, f"malformed CSV: {error}") for line, error in errors]
        yield Chunk(prepare(parsed), rejects, len(rows) + len(errors), reader.offset, reader.line, dict(unmapped))


def can_fork() -> bool:
    """Whether a reader process can be forked here (not on Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


class _Failed:
    """What the reader process sends when it fails: the traceback, as text."""

    def __init__(self, text: str):
        self.text = text


#: How much the reader process may be ahead of the writer: the pipe's buffer (Linux lets a process
#: raise it to 1 MB, some 30 chunks: enough to cover a commit, after which the writer finds chunks waiting).
_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, named in the fcntl module from Python 3.10 on Linux only


def _produce(produce: Callable[[], Iterator[Chunk]], sender) -> None:
    # Ctrl-C reaches the whole process group: the writer handles it and stops this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Parsing makes no reference cycles, only millions of short-lived lists and tuples, each of which
    # would count towards a needless cycle collection: a tenth of this process's time.
    gc.disable()
    try:
        # Sent from this thread: a queue's feeder thread would wait for the parser to let go of the
        # GIL (up to 5 ms) before every chunk, which caps the pipeline at about 200 chunks a second.
        for chunk in produce():
            sender.send(chunk)
        sender.send(None)
    except BaseException:  # everything goes back to the writer, which reports it
        with contextlib.suppress(OSError):
            sender.send(_Failed(traceback.format_exc()))
    finally:
        sender.close()


def in_background(produce: Callable[[], Iterator[Chunk]]) -> Iterator[Chunk]:
    """The chunks of `produce()`, made by a forked process while the caller stores the earlier ones.

    The process inherits the open file and the parser (fork); chunks come back through a pipe
    whose buffer bounds how far ahead it gets. Closing the iterator stops the process.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    with contextlib.suppress(OSError):  # Linux only; elsewhere the default buffer just makes it wait more
        fcntl.fcntl(sender.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
    process = context.Process(target=_produce, args=(produce, sender), name="vocapp-csv-reader", daemon=True)
    process.start()
    sender.close()  # the child's copy is the one that writes; EOF then means it is gone
    try:
        while True:
            try:
                chunk = receiver.recv()
            except EOFError:
                process.join(5)
                raise RuntimeError(f"the CSV reader process died (exit code {process.exitcode})") from None
            if chunk is None:
                return
            if isinstance(chunk, _Failed):
                raise RuntimeError(f"the CSV reader process failed:\n{chunk.text}")
            yield chunk
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()
