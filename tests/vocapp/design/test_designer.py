"""DCXOs design surveys: templates, questions, conditions, translations, versions, publishing."""

import re

import pytest
from sqlalchemy import select

from vocapp.db import db
from vocapp.models import AuditEntry, Response, ResponseSource, Survey
from vocapp.services import responses


def questions(versions, number=None):
    definition = versions[-1][2] if number is None else next(v[2] for v in versions if v[0] == number)
    return [q["key"] for q in definition["questions"]]


def audit_actions(app, sid):
    with app.app_context():
        return [e.action for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "survey", AuditEntry.object_id == str(sid))
            .order_by(AuditEntry.id))]


@pytest.mark.parametrize(("template", "keys"), [
    ("a11", ["trust", "went_well", "went_wrong", "comment"]),
    ("post_service", ["csat", "ces", "fixed", "comment"]),
    ("nps", ["nps", "nps_reason"]),
    ("blank", []),
])
def test_dcxo_creates_a_survey_from_each_template(client, login_as, departments, load, template, keys):
    login_as("dcxo", ("STR",))
    response = client.post("/surveys/new", data={"department": departments["STR"], "name": "My survey",
                                                 "template": template})
    assert response.status_code == 302
    sid = int(response.headers["Location"].rsplit("/", 1)[1])
    name, status, versions, _ = load(sid)
    assert (name, status) == ("My survey", "active")
    assert [(n, s) for n, s, _ in versions] == [(1, "draft")]
    assert questions(versions) == keys


def test_add_edit_reorder_and_remove_questions(app, client, login_as, make_survey, load):
    sid = make_survey(template=None)
    login_as("dcxo", ("STR",))
    add = client.post(f"/surveys/{sid}/questions/new", data={
        "key": "mode", "kind": "single", "text": "How did you contact us?", "required": "y",
        "choices": "phone | By phone\nWebsite or app\n", "help": "Pick one."})
    assert add.status_code == 302
    client.post(f"/surveys/{sid}/questions/new", data={"key": "why", "kind": "text", "text": "Why?",
                                                       "condition_question": "mode", "condition_op": "in",
                                                       "condition_values": "phone"})
    definition = load(sid)[2][-1][2]
    mode = definition["questions"][0]
    assert mode["choices"] == [{"value": "phone", "label": {"en": "By phone"}},
                               {"value": "website_or_app", "label": {"en": "Website or app"}}]
    assert mode["required"] is True and mode["help"] == {"en": "Pick one."}
    assert definition["questions"][1]["condition"] == {"question": "mode", "op": "in", "values": ["phone"]}
    # renaming a question keeps the conditions that point at it
    client.post(f"/surveys/{sid}/questions/mode", data={"key": "contact", "kind": "single", "text": "How?",
                                                        "choices": "phone | By phone\nweb | Web"})
    definition = load(sid)[2][-1][2]
    assert definition["questions"][1]["condition"]["question"] == "contact"
    # moving the dependent question above its condition is refused, nothing changes
    response = client.post(f"/surveys/{sid}/questions/why/move", data={"direction": "up"}, follow_redirects=True)
    assert "comes later" in response.get_data(as_text=True)
    assert questions(load(sid)[2]) == ["contact", "why"]
    # removing a question others depend on is refused; removing the dependent one works
    response = client.post(f"/surveys/{sid}/questions/contact/remove", follow_redirects=True)
    assert "depends on" in response.get_data(as_text=True)
    client.post(f"/surveys/{sid}/questions/why/remove")
    assert questions(load(sid)[2]) == ["contact"]
    assert audit_actions(app, sid)[-4:] == ["survey.question.add", "survey.question.add", "survey.question.edit",
                                            "survey.question.remove"]


@pytest.mark.parametrize(("data", "message"), [
    ({"key": "csat", "kind": "text", "text": "Again?"}, "already has the key"),
    ({"key": "Bad Key", "kind": "text", "text": "x"}, "lower-case letters"),
    ({"key": "pick", "kind": "single", "text": "Pick", "choices": ""}, "at least two choices"),
    ({"key": "pick", "kind": "single", "text": "Pick", "choices": "a\na"}, "same value"),
    ({"key": "rate", "kind": "csat", "text": "Rate", "choices": "x\ny"}, "leave choices empty"),
    ({"key": "x", "kind": "text", "text": "X", "condition_question": "comment", "condition_op": "in",
      "condition_values": "yes"}, "free-text answer can only be tested"),
    ({"key": "x", "kind": "text", "text": "X", "condition_question": "csat", "condition_op": "lte",
      "condition_values": "9"}, "between 1 and 5"),
    ({"key": "x", "kind": "text", "text": "X", "condition_question": "fixed", "condition_op": "in",
      "condition_values": ""}, "Say which answers"),
    ({"key": "x", "kind": "text", "text": ""}, "This field is required"),
])
def test_bad_questions_are_explained_and_nothing_is_saved(client, login_as, make_survey, load, data, message):
    sid = make_survey()
    before = load(sid)
    login_as("dcxo", ("STR",))
    response = client.post(f"/surveys/{sid}/questions/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert load(sid) == before


def test_condition_on_a_later_question_cannot_be_set(client, login_as, make_survey, load):
    sid = make_survey()
    login_as("dcxo", ("STR",))
    response = client.post(f"/surveys/{sid}/questions/csat", data={
        "key": "csat", "kind": "csat", "text": "How?", "condition_question": "fixed", "condition_op": "in",
        "condition_values": "no"})
    assert response.status_code == 400
    assert "comes later" in response.get_data(as_text=True)


def test_publishing_freezes_a_version_and_editing_opens_a_new_draft(app, client, login_as, make_survey, load):
    sid = make_survey()
    login_as("dcxo", ("STR",))
    assert client.post(f"/surveys/{sid}/publish").status_code == 302
    client.post(f"/surveys/{sid}/questions/new", data={"key": "extra", "kind": "text", "text": "More?"})
    versions = load(sid)[2]
    assert [(n, s) for n, s, _ in versions] == [(1, "published"), (2, "draft")]
    assert "extra" not in questions(versions, 1) and "extra" in questions(versions, 2)
    # residents keep answering v1 until v2 is published; their responses point at v1
    with app.app_context():
        survey = db.session.get(Survey, sid)
        assert survey.live.number == 1
        (made,) = responses.create_test_invitations(None, survey, ["en"])
        db.session.commit()
    client.post(f"/s/{made.token}", data={"csat": "5", "fixed": "yes"})
    client.post(f"/surveys/{sid}/publish")
    with app.app_context():
        survey = db.session.get(Survey, sid)
        assert survey.live.number == 2
        assert db.session.scalars(select(Response)).one().version.number == 1
    assert "survey.publish" in audit_actions(app, sid)


def test_publishing_an_empty_survey_is_refused(client, login_as, make_survey, load):
    sid = make_survey(template=None)
    login_as("dcxo", ("STR",))
    page = client.post(f"/surveys/{sid}/publish", follow_redirects=True).get_data(as_text=True)
    assert "Add at least one question before publishing" in page
    assert load(sid)[2][0][1] == "draft"


def test_settings_change_title_intro_languages_and_name(client, login_as, make_survey, load):
    sid = make_survey(template=None)
    login_as("dcxo", ("STR",))
    response = client.post(f"/surveys/{sid}/settings", data={"name": "Renamed", "title": "Tell us",
                                                             "intro": "Short.", "languages": ["ar", "es"]})
    assert response.status_code == 302
    name, _, versions, _ = load(sid)
    assert name == "Renamed"
    definition = versions[-1][2]
    assert definition["title"]["en"] == "Tell us" and definition["intro"] == {"en": "Short."}
    assert definition["languages"] == ["en", "ar", "es"]


def test_translating_one_question_and_seeing_completeness(client, login_as, make_survey, load):
    sid = make_survey(template=None)
    login_as("dcxo", ("STR",))
    client.post(f"/surveys/{sid}/questions/new", data={"key": "q", "kind": "fixed", "text": "Was it fixed?"})
    page = client.get(f"/surveys/{sid}/translations").get_data(as_text=True)
    assert "0 of 2" in page
    form = client.get(f"/surveys/{sid}/translations/es").get_data(as_text=True)
    fields = re.findall(r'name="(t\d+)"', form)
    assert fields == ["t0", "t1"]
    client.post(f"/surveys/{sid}/translations/es", data={"t0": "", "t1": "¿Se arregló?"})
    definition = load(sid)[2][-1][2]
    assert definition["questions"][0]["text"] == {"en": "Was it fixed?", "es": "¿Se arregló?"}
    assert "es" in definition["languages"]
    page = client.get(f"/surveys/{sid}/translations").get_data(as_text=True)
    assert "1 of 2" in page and "Title" in page
    preview = client.get(f"/surveys/{sid}/preview?lang=es").get_data(as_text=True)
    assert "¿Se arregló?" in preview and '<html lang="es"' in preview


def test_editing_the_english_keeps_other_translations(client, login_as, make_survey, load):
    sid = make_survey("STR", template="post_service")
    login_as("dcxo", ("STR",))
    client.post(f"/surveys/{sid}/questions/fixed", data={"key": "fixed", "kind": "fixed", "required": "y",
                                                         "text": "Is the problem fixed now?"})
    text = load(sid)[2][-1][2]["questions"][2]["text"]
    assert text["en"] == "Is the problem fixed now?" and len(text) == 17


def test_preview_checks_answers_without_saving(app, client, login_as, make_survey):
    sid = make_survey()
    login_as("viewer", ("STR",))
    bad = client.post(f"/surveys/{sid}/preview?lang=en", data={"csat": "7"})
    assert bad.status_code == 422 and "Choose a number from 1 to 5." in bad.get_data(as_text=True)
    good = client.post(f"/surveys/{sid}/preview?lang=en", data={"csat": "4", "fixed": "yes"})
    assert good.status_code == 200 and "not saved" in good.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Response)).all() == []


def test_archive_restore_and_clone(app, client, login_as, make_survey, load):
    sid = make_survey(publish=True)
    login_as("dcxo", ("STR",))
    client.post(f"/surveys/{sid}/archive")
    assert load(sid)[1] == "archived"
    assert "archived" in client.post(f"/surveys/{sid}/questions/new", data={
        "key": "x", "kind": "text", "text": "X"}).get_data(as_text=True)
    client.post(f"/surveys/{sid}/restore")
    assert load(sid)[1] == "active"
    response = client.post(f"/surveys/{sid}/clone")
    copy = int(response.headers["Location"].rsplit("/", 1)[1])
    name, _, versions, _ = load(copy)
    assert name == "Copy of Test survey" and [(n, s) for n, s, _ in versions] == [(1, "draft")]
    assert questions(versions) == questions(load(sid)[2])
    assert {"survey.archive", "survey.restore"} <= set(audit_actions(app, sid))


def test_test_links_are_shown_once_per_language_and_work(client, login_as, make_survey):
    sid = make_survey(publish=True)
    login_as("dcxo", ("STR",))
    page = client.post(f"/surveys/{sid}/test-links", data={"languages": ["es", "ar"]}).get_data(as_text=True)
    links = list(dict.fromkeys(re.findall(r"http://localhost/s/([\w-]+)", page)))
    assert len(links) == 2
    assert '<html lang="ar" dir="rtl">' in client.get(f"/s/{links[1]}").get_data(as_text=True)


def test_test_links_need_a_published_version(client, login_as, make_survey):
    sid = make_survey()
    login_as("dcxo", ("STR",))
    page = client.post(f"/surveys/{sid}/test-links", data={"languages": ["en"]}, follow_redirects=True)
    assert "Publish the survey before making test links" in page.get_data(as_text=True)


def test_public_link_takes_anonymous_answers_marked_public_and_can_be_turned_off(app, client, login_as,
                                                                                  make_survey, load):
    sid = make_survey(publish=True)
    login_as("dcxo", ("STR",))
    client.post(f"/surveys/{sid}/public-link", data={"enable": "1"})
    slug = load(sid)[3]
    assert slug
    poster = client.get(f"/surveys/{sid}/qr").get_data(as_text=True)
    assert "<svg" in poster and f"/p/{slug}?via=qr" in poster
    resident = app.test_client()
    assert resident.get(f"/p/{slug}?via=qr").status_code == 200
    assert resident.post(f"/p/{slug}?via=qr", data={"csat": "5", "fixed": "yes"}).status_code == 200
    with app.app_context():
        stored = db.session.scalars(select(Response)).one()
        assert (stored.source, stored.channel, stored.invitation_id) == (ResponseSource.PUBLIC, "qr", None)
    client.post(f"/surveys/{sid}/public-link", data={"enable": "0"})
    assert resident.get(f"/p/{slug}").status_code == 404


def test_staff_entry_records_channel_language_and_who_entered_it(app, client, login_as, make_survey):
    sid = make_survey(publish=True)
    staff = login_as("dcxo", ("STR",))
    bad = client.post(f"/surveys/{sid}/enter", data={"channel": "phone", "language": "es", "csat": "9"})
    assert bad.status_code == 422 and "Choose a number from 1 to 5." in bad.get_data(as_text=True)
    ok = client.post(f"/surveys/{sid}/enter", data={"channel": "paper", "language": "es", "csat": "2",
                                                    "fixed": "no", "comment": "Still broken"})
    assert ok.status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(Response)).one()
        assert (stored.source, stored.channel, stored.language, stored.entered_by_id) == \
            (ResponseSource.ASSISTED, "paper", "es", staff)
        assert {a.question_key: a.value for a in stored.answers}["comment"] == "Still broken"


def test_new_question_suggests_a_free_key(client, login_as, make_survey):
    sid = make_survey()
    login_as("dcxo", ("STR",))
    page = client.get(f"/surveys/{sid}/questions/new?kind=csat").get_data(as_text=True)
    assert 'value="csat_2"' in page
    assert 'value="nps"' in client.get(f"/surveys/{sid}/questions/new?kind=nps").get_data(as_text=True)


def test_cloning_twice_numbers_the_copies(client, login_as, make_survey, load):
    sid = make_survey()
    login_as("dcxo", ("STR",))
    first = int(client.post(f"/surveys/{sid}/clone").headers["Location"].rsplit("/", 1)[1])
    second = int(client.post(f"/surveys/{sid}/clone").headers["Location"].rsplit("/", 1)[1])
    assert (load(first)[0], load(second)[0]) == ("Copy of Test survey", "Copy of Test survey (2)")
