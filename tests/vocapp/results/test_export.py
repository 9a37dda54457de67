"""CSV export of responses: columns, rows, filters, formula injection and streaming."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from surveys.questions import Kind, Question
from vocapp.db import db
from vocapp.models import ResponseSource, Survey
from vocapp.services import export
from vocapp.services import results as service
from vocapp.services import surveys as design

FIXED = ["response_id", "submitted_at", "version", "source", "channel", "language"]


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # so spreadsheets read UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_has_one_row_per_response_with_every_question_column(client, every_kind, answer, login_as):
    first = datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    (one,) = answer(every_kind, {"csat": 5, "fixed": "partly", "comment": "Quick,\n\"thanks\"", "thumbs": "agree",
                                 "topics": ["noise", "roads"], "drivers": ["ease", "humanity"], "score": 9},
                    submitted_at=first)
    (two,) = answer(every_kind, {"csat": 2, "how": "app"}, source=ResponseSource.PUBLIC, channel="qr",
                    language="es", submitted_at=first + timedelta(days=1))
    login_as("viewer", ("STR",))
    response = client.get(f"/surveys/{every_kind}/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="survey-{every_kind}-every-kind-responses-')
    rows = read_csv(response)
    assert rows[0] == [*FIXED, "csat", "ces", "fixed", "comment", "agree", "trust5", "thumbs", "how", "topics",
                       "drivers", "score"]
    assert rows[1] == [str(one), "2024-03-05T09:30:00+00:00", "1", "invitation", "email", "en",
                       "5", "", "partly", "Quick,\n\"thanks\"", "", "", "agree", "", "noise; roads",
                       "ease; humanity", "9"]
    assert rows[2][:8] == [str(two), "2024-03-06T09:30:00+00:00", "1", "public", "qr", "es", "2", ""]
    assert rows[2][13] == "app"
    assert len(rows) == 3


def test_csv_neutralises_spreadsheet_formulas(client, published, answer, login_as):
    survey_id = published("post_service")
    attacks = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tlead", "\rcarriage", "safe"]
    answer(survey_id, *({"comment": text} for text in attacks))
    login_as("admin")
    comments = [row[-1] for row in read_csv(client.get(f"/surveys/{survey_id}/results.csv"))[1:]]
    assert comments == ["'" + text for text in attacks[:-1]] + ["safe"]


def test_csv_is_streamed(client, published, answer, login_as):
    survey_id = published("post_service")
    answer(survey_id, {"csat": 4})
    login_as("admin")
    response = client.get(f"/surveys/{survey_id}/results.csv")
    assert response.is_streamed
    assert response.headers["Cache-Control"] == "no-store"


def test_export_is_produced_in_chunks_not_all_at_once(app, published, answer):
    survey_id = published("post_service")
    answer(survey_id, *({"csat": 1 + i % 5, "comment": f"comment {i}"} for i in range(60)))
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        chunks = export.export_csv(survey, service.Filters(), chunk_size=200)
        first = next(chunks)  # a generator: rows are read as they are written
        rest = list(chunks)
    assert len(rest) > 5
    rows = list(csv.reader(io.StringIO((first + "".join(rest))[1:])))
    assert len(rows) == 61 and {row[-1] for row in rows[1:]} == {f"comment {i}" for i in range(60)}


def test_csv_follows_the_page_filters(client, published, answer, login_as):
    survey_id = published("post_service")
    answer(survey_id, {"csat": 5}, submitted_at=datetime(2024, 3, 1, 12, tzinfo=UTC))
    answer(survey_id, {"csat": 4}, submitted_at=datetime(2024, 3, 10, 12, tzinfo=UTC))
    answer(survey_id, {"csat": 1}, source=ResponseSource.TEST, channel="test",
           submitted_at=datetime(2024, 3, 10, 13, tzinfo=UTC))
    login_as("admin")

    def csats(query: str) -> list[str]:
        return [row[6] for row in read_csv(client.get(f"/surveys/{survey_id}/results.csv{query}"))[1:]]

    assert csats("") == ["5", "4"]
    assert csats("?tests=1") == ["5", "4", "1"]
    assert csats("?start=2024-03-05") == ["4"]
    assert csats("?end=2024-03-05&tests=1") == ["5"]


def test_csv_columns_are_the_union_of_versions_in_the_newest_order(app, client, published, answer, login_as):
    survey_id = published("post_service")
    answer(survey_id, {"csat": 5, "comment": "v1"})
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        design.add_question(None, survey, Question(key="staff", kind=Kind.LIKERT, text={"en": "Staff were kind."}))
        design.move_question(None, survey, "staff", -10)
        design.remove_question(None, survey, "comment")
        design.publish(None, survey)
        db.session.commit()
    answer(survey_id, {"csat": 3, "staff": 4})
    login_as("admin")
    rows = read_csv(client.get(f"/surveys/{survey_id}/results.csv"))
    assert rows[0] == [*FIXED, "staff", "csat", "ces", "fixed", "comment"]
    assert [(r[2], r[6], r[7], r[10]) for r in rows[1:]] == [("1", "", "5", "v1"), ("2", "4", "3", "")]
    only_first = read_csv(client.get(f"/surveys/{survey_id}/results.csv?version=1"))
    assert only_first[0] == [*FIXED, "csat", "ces", "fixed", "comment"] and len(only_first) == 2


def test_csv_with_bad_filters_is_a_400_saying_what_to_fix(client, published, login_as):
    survey_id = published("post_service")
    login_as("admin")
    response = client.get(f"/surveys/{survey_id}/results.csv?start=03/01/2024")
    assert response.status_code == 400
    assert "Enter the start date as YYYY-MM-DD" in response.get_data(as_text=True)
