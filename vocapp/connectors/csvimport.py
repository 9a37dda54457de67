"""``vocapp requests import``: CSV exports of 311 systems into service requests.

``vocapp requests import FILE --format la|nyc|boston|csv [--mapping MAP.json] [--source NAME] [--restart]``

Formats: ``la`` (MyLA311 export; times are Los Angeles time), ``nyc`` (NYC Open
Data 311 export; New York time), ``boston`` (data.boston.gov 311; Boston time)
and ``csv`` (any export, described by a JSON mapping, below). The source name
stored with the requests is the format's (la, nyc, boston, or the mapping's
"source") unless --source gives another.

The file is checked first (UTF-8, with or without byte-order mark; the
format's columns present), then streamed, never read whole, in batches of
``--batch-size`` rows (100,000). Each batch's requests, its quarantined rows
and the run's resume point (the byte offset and line after the batch) are
committed together, so an interrupted import run again on the same file (same
size, modification time and first 64 KB, same source) continues after its last
batch; ``--restart`` starts over. Storing is an idempotent upsert on (source,
source_id): importing a file twice changes nothing. Rows that cannot be stored
(closed before requested, impossible ZIP, unparseable date, mojibake, no id,
wrong number of fields...) go to ``rejected_rows`` with their line, id, reason
and cells (contact columns removed), and the report counts them by reason.

Exit status: 0 when the file was imported (a warning on stderr counts the
quarantined rows, if any), 2 when it cannot be imported (not UTF-8, missing
columns, bad mapping, the same file being imported by another process: nothing
is stored), 130 when interrupted (run it again to resume), 1 on a database
error (the run is marked failed and resumes like an interrupted one).

The mapping of ``--format csv`` is a JSON object (the # notes are not part of it)::

    {
      "source": "chicago",                     # default source name (--source overrides it)
      "columns": {                             # our field -> CSV column; source_id is required
        "source_id": "SR_NUMBER", "requested_at": "CREATED_DATE", "closed_at": "CLOSED_DATE",
        "source_updated_at": "LAST_MODIFIED_DATE", "status": "STATUS", "service_name": "SR_TYPE",
        "service_code": "SR_SHORT_CODE", "agency": "OWNER_DEPARTMENT", "channel": "ORIGIN",
        "ward": "WARD", "zip": "ZIP_CODE", "latitude": "LATITUDE", "longitude": "LONGITUDE",
        "status_notes": "...", "language": "...", "duplicate_of": "...", "parent_id": "...",
        "contact_email": "...", "contact_phone": "...", "contact_preference": "..."
      },
      "date_format": "%m/%d/%Y %I:%M:%S %p",   # strptime format; default ISO 8601
      "timezone": "America/Chicago",           # zone of naive timestamps; default the app's TIMEZONE
      "delimiter": ",",                        # default: sniffed from the start of the file
      "extra": {"descriptor": "SR_DESCRIPTION"},  # kept in the request's extra
      "private_columns": ["RESIDENT_NAME"]     # never copied into quarantined rows
    }

Every column named must be in the file; a column may also be a list of names
(the first one the header has is used). Statuses and channels are read with
the shared vocabularies (`records.status_of`, `records.channel_of`); without a
status column a request is closed when it has a close time; without a
service_code column the code is derived from the service name ("Bulky Items"
-> BULKY_ITEMS). Contact columns, and any column named like email, phone or
contact, are never copied into quarantined rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from vocapp.connectors.csv_formats import FORMATS, Spec, SpecError, load_mapping
from vocapp.connectors.csv_run import BATCH_SIZE, ImportReport, Unusable, import_file
from vocapp.connectors.csv_session import DepartmentsChanged

__all__ = ["requests_group", "render_report", "resolve_spec"]


class UsageError(click.ClickException):
    """Input that cannot be imported: the message on stderr, exit status 2, nothing stored."""

    exit_code = 2


def resolve_spec(format_name: str, mapping: Path | None) -> Spec:
    """The spec of --format (and --mapping); UsageError when they do not fit together."""
    if format_name == "csv":
        if mapping is None:
            raise UsageError("--format csv needs --mapping MAP.json (see `vocapp requests import --help`)")
        try:
            return load_mapping(mapping)
        except SpecError as exc:
            raise UsageError(f"mapping {exc}") from exc
    if mapping is not None:
        raise UsageError(f"--mapping is for --format csv; --format {format_name} knows its columns")
    return FORMATS[format_name]


def render_report(report: ImportReport) -> str:
    """The report as the command prints it."""
    updated = max(report.session_stored - report.new, 0)
    lines = [f"Imported {report.path} as {report.format!r} requests of source {report.source!r} "
             f"(import run #{report.run_id})."]
    lines += [f"  note: {note}" for note in report.notes]
    lines += [
        f"  rows read     {report.rows_read:>10,}",
        f"  stored        {report.rows_stored:>10,}   ({report.new:,} new, {updated:,} already there and updated"
        f"{' in this session' if report.resumed_at_line else ''})",
        f"  quarantined   {report.rows_rejected:>10,}" + ("   (not imported; by reason:)"
                                                           if report.rows_rejected else ""),
    ]
    lines += [f"      {count:>8,}  {category}" for category, count in report.rejected_by_reason.items()]
    if report.examples:
        lines.append("    first quarantined rows:")
        lines += [f"      line {line}{f' ({source_id})' if source_id else ''}: {reason}"
                  for line, source_id, reason in report.examples]
    if report.unmapped_agencies:
        top = list(report.unmapped_agencies.items())[:10]
        more = len(report.unmapped_agencies) - len(top)
        lines.append("  agencies with no department of that code (stored without a department): "
                     + ", ".join(f"{code} ({count:,} row{'' if count == 1 else 's'})" for code, count in top)
                     + (f" and {more} more" if more > 0 else ""))
    lines.append(f"  elapsed       {report.elapsed:>10.1f} s   ({report.rate:,.0f} rows/s)")
    return "\n".join(lines)


@click.group("requests")
def requests_group():
    """311 service requests: import them from CSV exports."""


@requests_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "format_name", required=True, type=click.Choice(["la", "nyc", "boston", "csv"]),
              help="The export's layout: MyLA311, NYC Open Data, Boston 311, or csv with --mapping.")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON column mapping for --format csv (keys: columns, source, date_format, timezone, "
                   "delimiter, extra, private_columns).")
@click.option("--source", help="Source name stored with the requests (default: the format's, e.g. la).")
@click.option("--restart", is_flag=True, help="Start from the top even if an earlier run of the file was interrupted.")
@click.option("--batch-size", default=BATCH_SIZE, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Rows per committed batch (an interrupted import resumes after the last one).")
@with_appcontext
def import_command(file: Path, format_name: str, mapping: Path | None, source: str | None, restart: bool,
                   batch_size: int):
    """Import a CSV export of 311 service requests (resumable; bad rows are quarantined, not dropped)."""
    spec = resolve_spec(format_name, mapping)
    with click.progressbar(length=1, label=f"Importing {file.name}", file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            report = import_file(file, spec, source, restart=restart, batch_size=batch_size, progress=progress)
        except Unusable as exc:
            raise UsageError(str(exc)) from exc
        except DepartmentsChanged as exc:
            raise click.ClickException(f"{exc}: the batch in progress was rolled back; run the same command "
                                       "again to resume") from exc
        except KeyboardInterrupt:
            click.echo("\nInterrupted: the batches before this one are stored. Run the same command again to "
                       "resume (--restart starts over).", err=True)
            sys.exit(130)
    click.echo(render_report(report))
    if report.rows_rejected:
        click.echo(f"Warning: {report.rows_rejected:,} of {report.rows_read:,} rows were quarantined, not imported "
                   f"(reasons above; they are in rejected_rows of import run #{report.run_id}).", err=True)
