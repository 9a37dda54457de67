"""Scoring residents' comments: the sentiment service and the scheduler job that runs it."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import select

import surveys.sentiment
from vocapp import jobs
from vocapp.db import db
from vocapp.models import Answer, Department, ResponseSource, Survey
from vocapp.services import responses
from vocapp.services import sentiment as service
from vocapp.services import surveys as design

COMMENTS = [
    "They closed my ticket but the pothole is still there.",
    "The crew came the next day and fixed it. Thank you!",
    "It took about a week.",
]


@pytest.fixture()
def survey_id(app, departments):
    """A published post-service survey of Streets (CSAT, CES, fixed?, comment)."""
    with app.app_context():
        dept = db.session.scalar(select(Department).where(Department.code == "STR"))
        survey = design.create_survey(None, department=dept, name="After your request", template="post_service")
        design.publish(None, survey)
        db.session.commit()
        return survey.id


@pytest.fixture()
def submit(app, survey_id):
    """Store one response per answers dict, as a resident's submission does (nothing scored)."""

    def add(*answer_sets: dict) -> None:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            for answers in answer_sets:
                responses.store_response(survey=survey, version=survey.live, answers=answers,
                                         source=ResponseSource.INVITATION, channel="email", language="en")
            db.session.commit()

    return add


def answers(app) -> list[Answer]:
    with app.app_context():
        return db.session.scalars(select(Answer).order_by(Answer.id)).all()


def job(app):
    return next(j for j in jobs.JOBS if j.id == "sentiment")


def test_the_sentiment_job_is_scheduled_every_30_seconds_by_default(app):
    assert app.config["SCHEDULE_SENTIMENT_SECONDS"] == 30
    scheduled = {j.id: j for j in jobs.build_scheduler(app).get_jobs()}
    assert scheduled["sentiment"].trigger.interval.total_seconds() == 30


def test_a_submitted_comment_waits_for_the_job_unscored(app, submit):
    submit({"csat": 2, "comment": COMMENTS[0]})
    comment = next(a for a in answers(app) if a.kind == "text")
    assert comment.sentiment_version is None and comment.sentiment_label is None
    with app.app_context():
        assert service.pending_count() == 1


def test_the_job_scores_new_comments_and_leaves_choice_answers_alone(app, submit):
    submit(*({"csat": 4, "fixed": "yes", "comment": text} for text in COMMENTS))
    jobs.run_job(app, job(app))
    rows = answers(app)
    texts = [a for a in rows if a.kind == "text"]
    others = [a for a in rows if a.kind != "text"]
    expected = surveys.sentiment.analyze(COMMENTS)
    assert [(a.text, a.sentiment_label) for a in texts] == [(t, s.label) for t, s in zip(COMMENTS, expected,
                                                                                         strict=True)]
    for answer, s in zip(texts, expected, strict=True):
        assert answer.sentiment_compound == pytest.approx(s.compound)
        assert answer.sentiment_language == s.language
        assert answer.sentiment_flags == list(s.flags)
        assert answer.sentiment_confidence == pytest.approx(s.confidence)
        assert answer.sentiment_version == surveys.sentiment.VERSION
    assert "closed_not_fixed" in texts[0].sentiment_flags
    assert others and all(a.sentiment_version is None and a.sentiment_label is None for a in others)
    with app.app_context():
        assert service.pending_count() == 0


def test_comments_already_scored_by_this_version_are_not_scored_again(app, submit, monkeypatch):
    submit({"comment": COMMENTS[1]})
    jobs.run_job(app, job(app))
    calls = []
    monkeypatch.setattr(surveys.sentiment, "analyze", lambda texts, mode="domain": calls.append(texts) or [])
    jobs.run_job(app, job(app))
    assert calls == []


def test_a_new_analyser_version_rescores_every_comment(app, submit, monkeypatch):
    submit(*({"comment": text} for text in COMMENTS))
    jobs.run_job(app, job(app))
    with app.app_context():
        # Pretend the old analyser got the first comment wrong.
        first = db.session.scalar(select(Answer).where(Answer.kind == "text").order_by(Answer.id))
        first.sentiment_label = "positive"
        db.session.commit()
    monkeypatch.setattr(surveys.sentiment, "VERSION", "an-analyser-from-the-future")
    with app.app_context():
        assert service.pending_count() == len(COMMENTS)
    jobs.run_job(app, job(app))
    texts = [a for a in answers(app) if a.kind == "text"]
    assert {a.sentiment_version for a in texts} == {"an-analyser-from-the-future"}
    assert texts[0].sentiment_label == "negative"


def test_an_older_version_sorting_after_the_new_one_is_rescored_too(app, submit, monkeypatch):
    submit({"comment": COMMENTS[0]})
    monkeypatch.setattr(surveys.sentiment, "VERSION", "9-old")
    jobs.run_job(app, job(app))
    monkeypatch.setattr(surveys.sentiment, "VERSION", "1-new")
    jobs.run_job(app, job(app))
    assert [a.sentiment_version for a in answers(app) if a.kind == "text"] == ["1-new"]


def test_the_job_scores_in_committed_batches_until_none_are_left(app, submit, monkeypatch):
    submit(*({"comment": f"Comment {i}: thank you, the crew was great."} for i in range(7)))
    monkeypatch.setattr(service, "BATCH", 3)
    batches = []
    real = service.store

    def store(values):
        batches.append(len(values))
        real(values)

    monkeypatch.setattr(service, "store", store)
    with app.app_context():
        assert jobs.sentiment(app) == 7
    assert batches == [3, 3, 1]
    assert all(a.sentiment_label == "positive" for a in answers(app) if a.kind == "text")


def test_a_failing_batch_is_rolled_back_and_retried_next_time(app, submit, monkeypatch):
    submit({"comment": COMMENTS[0]})

    def broken(texts, mode="domain"):
        raise RuntimeError("analyser crashed")

    monkeypatch.setattr(surveys.sentiment, "analyze", broken)
    jobs.run_job(app, job(app))
    with app.app_context():
        assert service.pending_count() == 1
    monkeypatch.undo()
    jobs.run_job(app, job(app))
    with app.app_context():
        assert service.pending_count() == 0


def test_empty_and_very_long_comments_are_scored(app, survey_id):
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        # Stored directly: an empty text (older data) and the longest text residents can send.
        response = responses.store_response(survey=survey, version=survey.live, answers={"comment": "x" * 4000},
                                             source=ResponseSource.INVITATION, channel="email", language="en")
        db.session.flush()
        db.session.add(Answer(response_id=response.id, question_key="comment", kind="text", text=""))
        db.session.commit()
    jobs.run_job(app, job(app))
    assert [a.sentiment_label for a in answers(app)] == ["neutral", "neutral"]


def test_versions_wider_than_the_column_are_stored_as_a_hash(app, submit, monkeypatch):
    monkeypatch.setattr(surveys.sentiment, "VERSION", "v" * 200)
    submit({"comment": COMMENTS[1]})
    jobs.run_job(app, job(app))
    (stored,) = {a.sentiment_version for a in answers(app) if a.kind == "text"}
    assert stored.startswith("sha256:") and len(stored) == 64
    with app.app_context():
        assert service.pending_count() == 0


def test_finding_unscored_comments_uses_the_sentiment_index(app, submit):
    with app.app_context():
        bind = db.session.get_bind()
        query = select(Answer.id).where(service._not_analysed("v1")).limit(10)
        compiled = query.compile(bind, compile_kwargs={"literal_binds": True})
        if bind.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "SCAN answers" not in plan
        else:
            # PostgreSQL rightly scans a table this small; ask whether the index can answer at all.
            db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {compiled}")))
            db.session.rollback()
    assert "ix_answers_kind_sentiment_version" in plan


def test_two_workers_on_postgresql_claim_different_batches(app, submit):
    with app.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("SKIP LOCKED claims are PostgreSQL's; on SQLite a second worker repeats the same values")
    submit(*({"comment": f"Comment {i}"} for i in range(4)))
    first_claimed = threading.Event()
    second_done = threading.Event()
    claimed: dict[str, list[int]] = {}

    def worker(name: str, wait: threading.Event | None, signal: threading.Event):
        with app.app_context():
            if wait is not None:
                wait.wait(10)
            claimed[name] = [row[0] for row in service.pending(2)]
            signal.set()
            if name == "first":
                second_done.wait(10)  # hold the row locks until the other worker has claimed its batch
            db.session.rollback()

    threads = [threading.Thread(target=worker, args=("first", None, first_claimed)),
               threading.Thread(target=worker, args=("second", first_claimed, second_done))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(claimed["first"]) == len(claimed["second"]) == 2
    assert not set(claimed["first"]) & set(claimed["second"])
