"""The zero-set-up backends: every email becomes an ``.eml`` file and every SMS a ``.sms.json`` file in the outbox folder."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

from vocapp.delivery.base import DeliveryError, Email, InvalidMessage, Outcome, Sms, Transport
from vocapp.delivery.mail import MailFormat
from vocapp.delivery.sms import check_number, segments

__all__ = ["FileEmailBackend", "FileSmsBackend", "file_stem", "write_new_file"]

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(reference: str, now: datetime) -> str:
    """A file name stem that sorts by time (UTC, microseconds) and then by reference.

    Examples
    --------
    >>> file_stem("inv-123-r0", datetime(2024, 5, 1, 9, 30, 0, 12, tzinfo=UTC))
    '20240501T093000.000012Z-inv-123-r0'
    >>> file_stem("../../etc/passwd", datetime(2024, 5, 1, tzinfo=UTC))
    '20240501T000000.000000Z-etc-passwd'
    """
    safe = _UNSAFE.sub("-", reference).strip("-.")[:64] or "message"
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{safe}"


def write_new_file(folder: Path, stem: str, suffix: str, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to a new file ``folder/stem[-N]suffix`` atomically and return its path.

    Readers never see a partial file: the data goes to a hidden temporary name
    first and is then linked under its final name. A hard link, unlike
    ``os.replace``, fails when the name exists, so an existing file is never
    overwritten; the next free ``-2``, ``-3``... name is taken instead. On a
    file system without hard links the fallback is ``os.replace`` onto a name
    checked to be free. ``durable`` fsyncs the data before it becomes visible.
    """
    tmp = folder / f".{stem}.{secrets.token_hex(4)}.tmp"
    with open(tmp, "xb") as fh:
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    try:
        attempt = 1
        while True:
            target = folder / f"{stem}{'' if attempt == 1 else f'-{attempt}'}{suffix}"
            try:
                os.link(tmp, target)
                return target
            except FileExistsError:
                attempt += 1
            except OSError:
                if target.exists():
                    attempt += 1
                    continue
                os.replace(tmp, target)
                return target
    finally:
        tmp.unlink(missing_ok=True)


class _FileBackend(Transport):
    """An outbox folder, created on open."""

    def __init__(self, outbox: Path | str, *, durable: bool = True) -> None:
        self.outbox = Path(outbox)
        self.durable = durable
        self._ready = False

    def open(self) -> None:
        """Create the outbox folder; a folder that cannot be created is a configuration problem."""
        if self._ready:
            return
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(f"cannot create the outbox folder {self.outbox}: {exc.strerror}") from exc
        self._ready = True

    def close(self) -> None:
        """Nothing stays open between messages."""
        self._ready = False

    def _write(self, reference: str, now: datetime, suffix: str, data: bytes) -> Outcome:
        self.open()
        try:
            path = write_new_file(self.outbox, file_stem(reference, now), suffix, data, durable=self.durable)
        except OSError as exc:  # a full disk may clear up: retry later
            log.warning("outbox write failed for %s: %s", reference, exc.strerror)
            return Outcome.transient_failure(f"outbox write failed ({exc.strerror or type(exc).__name__})")
        log.debug("%s written to %s", reference, path.name)
        return Outcome.success("written to outbox", provider_id=path.name)


class FileEmailBackend(_FileBackend):
    """Writes each email as an ``.eml`` file (exactly the bytes SMTP would send) into the outbox folder."""

    def __init__(self, outbox: Path | str, mail_format: MailFormat | str, *, durable: bool = True) -> None:
        super().__init__(outbox, durable=durable)
        self.format = mail_format if isinstance(mail_format, MailFormat) else MailFormat.from_sender(mail_format)

    def send(self, message: Email) -> Outcome:
        """Write ``message`` to ``<time>-<reference>.eml``."""
        now = datetime.now(UTC)
        try:
            rendered = self.format.render(message, now=now)
        except InvalidMessage as exc:
            return Outcome.permanent_failure(str(exc))
        return self._write(message.reference, now, ".eml", rendered.data)


class FileSmsBackend(_FileBackend):
    """Writes each SMS as a ``.sms.json`` file (to, from, body, segments, encoding, reference, created)."""

    def __init__(self, outbox: Path | str, sender: str, *, durable: bool = True) -> None:
        super().__init__(outbox, durable=durable)
        self.sender = sender

    def send(self, message: Sms) -> Outcome:
        """Write ``message`` to ``<time>-<reference>.sms.json``."""
        now = datetime.now(UTC)
        try:
            to = check_number(message.to)
        except InvalidMessage as exc:
            return Outcome.permanent_failure(str(exc))
        count, encoding = segments(message.body)
        record = {
            "to": to,
            "from": self.sender,
            "body": message.body,
            "segments": count,
            "encoding": encoding,
            "reference": message.reference,
            "created": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        }
        data = json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        return self._write(message.reference, now, ".sms.json", data)
