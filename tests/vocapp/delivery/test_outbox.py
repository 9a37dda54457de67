"""The file backends: one atomic, never-overwritten file per message in the outbox folder."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from tests.vocapp.delivery.conftest import SENDER, invitation, text_message
from vocapp.delivery import outbox as outbox_module
from vocapp.delivery.base import DeliveryError, EmailBackend, SmsBackend, email_backend, sms_backend
from vocapp.delivery.outbox import FileEmailBackend, FileSmsBackend, write_new_file


def test_email_becomes_one_eml_file(tmp_path):
    with FileEmailBackend(tmp_path / "outbox", SENDER) as backend:
        outcome = backend.send(invitation(subject="كيف كانت خدمتنا؟", language="ar"))
    assert outcome.ok and outcome.detail == "written to outbox"
    [path] = (tmp_path / "outbox").iterdir()
    assert path.name == outcome.provider_id
    assert path.name.endswith("-inv-1-r0.eml")
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "كيف كانت خدمتنا؟"
    assert msg["To"] == "ana@example.org"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_file_names_sort_by_time_then_reference(tmp_path):
    backend = FileEmailBackend(tmp_path, SENDER, durable=False)
    names = [backend.send(invitation(reference=f"inv-{n}-r0")).provider_id for n in (9, 3, 7, 1)]
    assert sorted(names) == names  # sent in that order, listed in that order
    assert [n.split("-", 1)[1] for n in names] == ["inv-9-r0.eml", "inv-3-r0.eml", "inv-7-r0.eml", "inv-1-r0.eml"]
    stamp = names[0].split("-", 1)[0]
    assert datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ")


def test_an_existing_file_is_never_overwritten(tmp_path, monkeypatch):
    frozen = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    monkeypatch.setattr(outbox_module, "datetime", FrozenClock)
    backend = FileEmailBackend(tmp_path, SENDER, durable=False)
    first = backend.send(invitation(subject="first"))
    second = backend.send(invitation(subject="second"))
    third = backend.send(invitation(subject="third"))
    assert [first.provider_id, second.provider_id, third.provider_id] == [
        "20240501T093000.000000Z-inv-1-r0.eml",
        "20240501T093000.000000Z-inv-1-r0-2.eml",
        "20240501T093000.000000Z-inv-1-r0-3.eml",
    ]
    subjects = [message_from_bytes((tmp_path / o.provider_id).read_bytes(), policy=policy.default)["Subject"]
                for o in (first, second, third)]
    assert subjects == ["first", "second", "third"]


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    seen_partial = []
    stop = threading.Event()

    def reader():
        # Every file visible under its final name must be complete: it ends with the closing boundary.
        while not stop.is_set():
            for path in tmp_path.glob("*.eml"):
                data = path.read_bytes()
                if not data.rstrip().endswith(b"--"):
                    seen_partial.append(path.name)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        backend = FileEmailBackend(tmp_path, SENDER, durable=False)
        for n in range(60):
            assert backend.send(invitation(reference=f"inv-{n}", text="x" * 20_000)).ok
    finally:
        stop.set()
        thread.join()
    assert seen_partial == []
    assert len(list(tmp_path.glob("*.eml"))) == 60
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".eml")] == []


def test_write_new_file_falls_back_to_replace_without_hard_links(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    first = write_new_file(tmp_path, "stem", ".txt", b"one", durable=False)
    second = write_new_file(tmp_path, "stem", ".txt", b"two", durable=True)
    assert (first.name, first.read_bytes()) == ("stem.txt", b"one")
    assert (second.name, second.read_bytes()) == ("stem-2.txt", b"two")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stem-2.txt", "stem.txt"]


def test_hostile_reference_stays_inside_the_outbox(tmp_path):
    outcome = FileEmailBackend(tmp_path / "box", SENDER).send(invitation(reference="../../escape"))
    assert outcome.ok and "/" not in outcome.provider_id
    assert [p.parent for p in (tmp_path / "box").iterdir()] == [tmp_path / "box"]


def test_invalid_email_is_permanent_and_writes_nothing(tmp_path):
    outcome = FileEmailBackend(tmp_path, SENDER).send(invitation(to="not-an-address"))
    assert (outcome.ok, outcome.permanent) == (False, True)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_outbox_is_a_configuration_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DeliveryError, match="outbox"):
        FileEmailBackend(blocker / "outbox", SENDER).open()


def test_sms_becomes_one_json_file(tmp_path):
    with FileSmsBackend(tmp_path, "+15550100311") as backend:
        outcome = backend.send(text_message(body="مرحبا، كيف كانت خدمتنا؟ https://311.example.gov/s/Zk3Q"))
    assert outcome.ok
    [path] = tmp_path.iterdir()
    assert path.name == outcome.provider_id and path.name.endswith("-inv-1-r0.sms.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record == {
        "to": "+15550100123",
        "from": "+15550100311",
        "body": "مرحبا، كيف كانت خدمتنا؟ https://311.example.gov/s/Zk3Q",
        "segments": 1,
        "encoding": "UCS-2",
        "reference": "inv-1-r0",
        "created": record["created"],
    }
    assert datetime.fromisoformat(record["created"]).tzinfo is not None
    assert "مرحبا" in path.read_text(encoding="utf-8")  # readable, not \\u escapes


def test_long_gsm_sms_records_its_segments(tmp_path):
    FileSmsBackend(tmp_path, "+15550100311").send(text_message(body="x" * 300))
    record = json.loads(next(tmp_path.iterdir()).read_text())
    assert (record["segments"], record["encoding"]) == (2, "GSM-7")


def test_sms_to_a_malformed_number_is_permanent(tmp_path):
    outcome = FileSmsBackend(tmp_path, "+15550100311").send(text_message(to="555-0100"))
    assert (outcome.ok, outcome.permanent, outcome.detail) == (False, True, "invalid number (not E.164)")
    assert list(tmp_path.iterdir()) == []


def test_factories_default_to_the_file_backends(tmp_path):
    config = {"MAIL_BACKEND": "file", "MAIL_FROM": SENDER, "SMS_BACKEND": "file", "SMS_FROM": "+15550100311",
              "OUTBOX_DIR": None}
    mail = email_backend(config, outbox=tmp_path / "instance-outbox")
    sms = sms_backend(config, outbox=tmp_path / "instance-outbox")
    assert isinstance(mail, FileEmailBackend) and isinstance(mail, EmailBackend)
    assert isinstance(sms, FileSmsBackend) and isinstance(sms, SmsBackend)
    assert mail.outbox == sms.outbox == tmp_path / "instance-outbox"
    # OUTBOX_DIR, when set, wins over the caller's fallback.
    assert email_backend(config | {"OUTBOX_DIR": str(tmp_path / "configured")}, outbox=tmp_path).outbox == \
        tmp_path / "configured"


def test_factories_need_a_folder_and_known_names(tmp_path):
    config = {"MAIL_BACKEND": "file", "MAIL_FROM": SENDER, "SMS_BACKEND": "file", "SMS_FROM": "+15550100311"}
    with pytest.raises(DeliveryError, match="OUTBOX_DIR"):
        email_backend(config)
    with pytest.raises(DeliveryError, match="SMS_BACKEND"):
        sms_backend(config | {"SMS_BACKEND": "fax"}, outbox=tmp_path)
    with pytest.raises(DeliveryError, match="SMS_FROM"):
        sms_backend(config | {"SMS_FROM": None}, outbox=tmp_path)
