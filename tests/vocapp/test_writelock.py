"""The SQLite write queue: writers take turns, across threads and processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import sqlalchemy as sa

from vocapp.writelock import lock_path, write_turn


def _engine(tmp_path):
    return sa.create_engine(f"sqlite:///{tmp_path / 'q.sqlite3'}")


def test_a_second_thread_waits_for_the_first_to_finish_its_turn(tmp_path):
    engine = _engine(tmp_path)
    order: list[str] = []

    def second():
        with engine.connect() as conn, write_turn(conn):
            order.append("second")

    with engine.connect() as conn, write_turn(conn):
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.2)  # the second thread reaches the lock meanwhile
        order.append("first done")
    waiter.join(5)
    assert order == ["first done", "second"]


def test_another_process_waits_for_the_turn(tmp_path):
    engine = _engine(tmp_path)
    code = (
        "import fcntl, sys, time\n"
        "f = open(sys.argv[1], 'a')\n"
        "start = time.monotonic(); fcntl.flock(f, fcntl.LOCK_EX)\n"
        "print(time.monotonic() - start)\n"
    )
    with engine.connect() as conn, write_turn(conn):
        child = subprocess.Popen([sys.executable, "-c", code, lock_path(conn)], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
    waited = float(child.communicate(timeout=10)[0])
    assert waited >= 0.2


def test_the_turn_is_released_when_the_block_raises(tmp_path):
    engine = _engine(tmp_path)
    with engine.connect() as conn:
        try:
            with write_turn(conn):
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        acquired = threading.Event()

        def take_turn():
            with write_turn(conn):
                acquired.set()

        threading.Thread(target=take_turn, daemon=True).start()
        assert acquired.wait(2)


def test_other_databases_need_no_lock_file():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        assert lock_path(conn) is None
        with write_turn(conn):
            pass
