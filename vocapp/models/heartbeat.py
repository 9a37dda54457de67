"""Liveness records of background processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vocapp.db import Base, UTCDateTime, utcnow


class Heartbeat(Base):
    """The last sign of life of one scheduler (or worker) process."""

    __tablename__ = "heartbeats"

    #: "<kind>@<host>:<pid>", unique per running process.
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
