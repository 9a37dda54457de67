"""`vocapp demo` leaves the results pages full: every comment scored, in many languages, with flags and themes."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from vocapp.db import db
from vocapp.models import Answer, Department, Survey
from vocapp.services import sentiment as service


def test_the_demo_scores_varied_multilingual_comments_and_its_results_page_shows_them(app, runner, client,
                                                                                     login_as):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Sentiment: \d+ comment\(s\) analysed\.", result.output)
    with app.app_context():
        assert service.pending_count() == 0
        scored = db.session.execute(select(Answer.sentiment_label, Answer.sentiment_language, Answer.sentiment_flags)
                                    .where(Answer.kind == "text")).all()
        assert len(scored) >= 300
        assert {label for label, _, _ in scored} == {"positive", "neutral", "negative"}
        assert {"en", "es", "zh", "vi", "ko"} <= {language for _, language, _ in scored}
        flags = {f for _, _, found in scored for f in found}
        assert {"closed_not_fixed", "still_waiting", "repeat_contact", "staff_courtesy_positive",
                "staff_courtesy_negative", "safety_risk"} <= flags
        distinct = db.session.scalar(select(func.count(func.distinct(Answer.text))).where(Answer.kind == "text"))
        assert distinct >= 100  # varied, not a handful of sentences repeated
        survey_id = db.session.scalar(select(Survey.id).join(Department).where(
            Department.code == "SAN", Survey.template == "post_service"))
    again = runner.invoke(args=["demo"])
    assert "Sentiment: every comment is analysed." in again.output

    login_as("admin")
    response = client.get(f"/surveys/{survey_id}/results")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for table_id in ("sentiment-shares", "sentiment-flags", "sentiment-themes", "sentiment-by-service",
                     "sentiment-by-ward", "sentiment-by-language"):
        assert f'id="{table_id}"' in page, table_id
    themes = re.search(r'<table[^>]*id="sentiment-themes".*?</table>', page, re.S).group(0)
    assert len(re.findall(r'<th scope="row"', themes)) >= 3
    assert "pending analysis" not in page.split('id="sentiment-counts"')[1][:200]
