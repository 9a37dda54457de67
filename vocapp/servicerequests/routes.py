"""Request pages: the imported requests of the user's departments, and the import runs with their rejects."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_login import current_user, login_required

from vocapp.campaigns.forms import CHANNEL_LABELS
from vocapp.db import db
from vocapp.models import ImportRun, RequestStatus
from vocapp.servicerequests import bp
from vocapp.servicerequests.forms import UNMAPPED, parse_filters
from vocapp.servicerequests.queries import import_runs, rejected_rows, requests_page
from vocapp.services.departments import visible_departments

PAGE_SIZE = 50
RUNS_PAGE_SIZE = 20
REJECTS_PAGE_SIZE = 100


def _department_choices() -> list[tuple[str, str]]:
    choices = [(str(d.id), d.name) for d in visible_departments(current_user)]
    if current_user.is_admin:
        choices.append((UNMAPPED, "No department (agency not mapped)"))
    return choices


@bp.get("/")
@login_required
def index():
    """Imported requests, newest closed first, with filters; contact details only as “on file” flags."""
    departments = _department_choices()
    filters, errors = parse_filters(request.args, {value for value, _ in departments})
    page = None
    if not errors:
        page = requests_page(current_user, filters, ZoneInfo(current_app.config["TIMEZONE"]),
                             request.args.get("page", 1, type=int), PAGE_SIZE)
    return render_template(
        "servicerequests/index.html", page=page, filters=filters, errors=errors, departments=departments,
        statuses=[s.value for s in RequestStatus], channels=CHANNEL_LABELS,
    ), 400 if errors else 200


def _shown_target(target: str) -> str:
    """An import's file or endpoint without query string or credentials (API keys live there)."""
    parts = urlsplit(target)
    if not parts.scheme or not parts.netloc:
        return target
    host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname or ""
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@bp.get("/imports")
@login_required
def imports():
    """Import runs, newest first, with their counts."""
    page = db.paginate(import_runs(), per_page=RUNS_PAGE_SIZE, max_per_page=RUNS_PAGE_SIZE, error_out=False)
    return render_template("servicerequests/imports.html", page=page, shown_target=_shown_target)


@bp.get("/imports/<int:run_id>")
@login_required
def import_run(run_id: int):
    """One run: counts, error and its rejected rows (the row's text for admins only)."""
    run = db.get_or_404(ImportRun, run_id)
    with_raw = current_user.is_admin
    page = db.paginate(rejected_rows(run, with_raw=with_raw), per_page=REJECTS_PAGE_SIZE,
                       max_per_page=REJECTS_PAGE_SIZE, error_out=False)
    return render_template("servicerequests/import_run.html", run=run, page=page, with_raw=with_raw,
                           shown_target=_shown_target)

