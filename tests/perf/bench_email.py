"""Email delivery benchmark: invitations through the SMTP backend to a local aiosmtpd server.

The requirement it checks: over ONE reused SMTP connection the backend sends at
least 300 messages per second, every message is accepted, and the whole run
uses exactly one connection per sender (no reconnects). ``--connections N``
also runs N senders in parallel, one connection each, for comparison.

The server runs in its own process (as a real MTA would), on uvloop when it is
installed, counting what it accepts. The messages are realistic invitations:
plain text and HTML, List-Unsubscribe headers, in seven languages including
Arabic, Chinese and Khmer. Before the run the benchmark times building the
same messages without sending, so the output shows where the time goes.

Usage::

    .venv/bin/python tests/perf/bench_email.py [--messages 3000] [--connections 1] [--target 300] [--json]

Exit status: 0 when every criterion passes, 1 when one fails, 2 when the run
could not be set up.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make `vocapp` and `tests` importable
    sys.path.insert(0, str(ROOT))

from vocapp.delivery.base import DeliveryError, Email  # noqa: E402
from vocapp.delivery.mail import MailFormat  # noqa: E402
from vocapp.delivery.smtp import SmtpBackend  # noqa: E402

SENDER = "City 311 <no-reply@example.gov>"
TARGET = 300.0  # messages per second over one connection

#: (language, subject, one paragraph of the invitation) per language the run rotates through.
SAMPLES = [
    ("en", "How did we do on your 311 request?",
     "Thank you for contacting City 311 about your pothole report. It was closed on May 1. "
     "Please take one minute to tell us how we did; your answers help us improve city services."),
    ("es", "¿Cómo atendimos su solicitud al 311?",
     "Gracias por comunicarse con el 311 de la ciudad sobre el bache que reportó. Se cerró el 1 de mayo. "
     "Tómese un minuto para contarnos cómo lo hicimos; sus respuestas nos ayudan a mejorar."),
    ("ar", "كيف كانت خدمتنا في طلبك إلى 311؟",
     "شكرا لتواصلك مع خدمة 311 بشأن الحفرة التي أبلغت عنها. تم إغلاق الطلب في 1 مايو. "
     "يرجى تخصيص دقيقة واحدة لإخبارنا عن أدائنا؛ تساعدنا إجاباتك على تحسين خدمات المدينة."),
    ("zh-Hans", "我们对您的 311 请求处理得怎么样？",
     "感谢您就坑洼问题联系城市 311。该请求已于 5 月 1 日关闭。请花一分钟告诉我们我们做得如何；您的回答有助于我们改进城市服务。"),
    ("km", "តើយើងបានដោះស្រាយសំណើ 311 របស់អ្នកយ៉ាងដូចម្តេច?",
     "សូមអរគុណសម្រាប់ការទាក់ទង 311 អំពីរន្ធលើផ្លូវ។ សំណើត្រូវបានបិទនៅថ្ងៃទី 1 ខែឧសភា។ "
     "សូមចំណាយពេលមួយនាទីដើម្បីប្រាប់យើងពីរបៀបដែលយើងបានធ្វើ។"),
    ("vi", "Chúng tôi đã xử lý yêu cầu 311 của bạn thế nào?",
     "Cảm ơn bạn đã liên hệ với 311 về ổ gà bạn đã báo. Yêu cầu đã được đóng vào ngày 1 tháng 5. "
     "Vui lòng dành một phút để cho chúng tôi biết chúng tôi đã làm thế nào."),
    ("ru", "Как мы справились с вашим обращением в 311?",
     "Спасибо, что обратились в городскую службу 311 по поводу выбоины. Обращение закрыто 1 мая. "
     "Пожалуйста, уделите минуту, чтобы рассказать, как мы справились."),
]


def invitations(count: int, offset: int = 0) -> list[Email]:
    """``count`` distinct invitations (own recipient, token and reference) rotating through the languages."""
    messages = []
    for n in range(offset, offset + count):
        language, subject, paragraph = SAMPLES[n % len(SAMPLES)]
        token = f"{n:08d}Zk3QmB9xTq0uWc7vYp2rLd5s"
        url = f"https://311.example.gov/s/{token}"
        text = f"{paragraph}\n\n{url}\n\nTo stop these surveys: {url}/unsubscribe\n-- \nCity 311\n"
        direction = "rtl" if language == "ar" else "ltr"
        html = (f'<!doctype html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
                f"<title>{subject}</title></head><body style=\"font-family:sans-serif;max-width:36em\">"
                f"<p>{paragraph}</p>"
                f'<p><a href="{url}" style="display:inline-block;padding:.6em 1.2em;background:#0b5394;color:#fff">'
                f"{subject}</a></p>"
                + "".join(f'<p><a href="{url}?q1={score}">{"★" * score}</a></p>' for score in range(1, 6))
                + f'<hr><p style="font-size:small"><a href="{url}/unsubscribe">Unsubscribe</a> · City 311 · '
                  "200 Main Street</p></body></html>")
        messages.append(Email(
            to=f"resident{n}@example.org", subject=subject, text=text, html=html,
            headers={"List-Unsubscribe": f"<{url}/unsubscribe>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            reference=f"inv-{n}-r0", language=language,
        ))
    return messages


# --- the server, in its own process --------------------------------------------------------------------

def serve(conn, use_uvloop: bool) -> None:
    """Child process: run a counting aiosmtpd server, report its port, then its counts when told to stop."""
    sys.path.insert(0, str(ROOT))
    from tests.vocapp.delivery.smtpserver import RecordingHandler, SmtpServer

    loop, loop_name = None, "asyncio"
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:  # the fast loop a production deployment of an asyncio server would also pick
            loop, loop_name = uvloop.new_event_loop(), "uvloop"
    server = SmtpServer(handler=RecordingHandler(keep=False), loop=loop)
    server.start()
    conn.send({"port": server.port, "loop": loop_name})
    conn.recv()  # "stop"
    stats = {"accepted": server.handler.accepted, "connections": server.connections, "ehlo": server.handler.ehlo}
    server.stop()
    conn.send(stats)


class ServerProcess:
    """The SMTP server process: ``port`` once started, ``stop()`` returns its counts."""

    def __init__(self, use_uvloop: bool = True) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(child, use_uvloop), daemon=True)
        self.process.start()
        if not self._conn.poll(30):
            self.process.kill()
            raise RuntimeError("the SMTP server process did not start")
        info = self._conn.recv()
        self.port, self.loop = info["port"], info["loop"]

    def stop(self) -> dict:
        self._conn.send("stop")
        stats = self._conn.recv() if self._conn.poll(30) else {}
        self.process.join(10)
        return stats


# --- measuring -------------------------------------------------------------------------------------------

def time_building(messages: Sequence[Email]) -> float:
    """Seconds per message spent building the MIME bytes alone (client CPU, no network)."""
    fmt = MailFormat.from_sender(SENDER)
    started = time.perf_counter()
    for message in messages:
        fmt.render(message)
    return (time.perf_counter() - started) / len(messages)


def send_all(port: int, batches: Sequence[Sequence[Email]]) -> dict:
    """Send each batch on its own connection, in parallel threads; return timings and outcomes."""
    results: list[dict] = [{} for _ in batches]
    barrier = threading.Barrier(len(batches) + 1)

    def worker(index: int, batch: Sequence[Email]) -> None:
        backend = SmtpBackend("127.0.0.1", port, mail_format=SENDER, security="none", timeout=30)
        barrier.wait()
        failures: list[str] = []
        started = time.perf_counter()
        with backend:
            for message in batch:
                outcome = backend.send(message)
                if not outcome.ok:
                    failures.append(outcome.detail)
        results[index] = {"seconds": time.perf_counter() - started, "failures": failures,
                          "connections": backend.connections}

    threads = [threading.Thread(target=worker, args=(i, batch)) for i, batch in enumerate(batches)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    sent = sum(len(b) for b in batches)
    return {
        "connections": len(batches),
        "messages": sent,
        "seconds": round(wall, 3),
        "messages_per_second": round(sent / wall, 1),
        "failures": sum(len(r["failures"]) for r in results),
        "failure_details": sorted({d for r in results for d in r["failures"]})[:5],
        "client_connections": sum(r["connections"] for r in results),
    }


def run(options: argparse.Namespace) -> dict:
    build_sample = invitations(min(options.messages, 700), offset=10_000_000)
    time_building(build_sample[:50])  # warm caches (header classes, codecs) before timing
    build_seconds = time_building(build_sample)

    server = ServerProcess(use_uvloop=not options.no_uvloop)
    runs = []
    try:
        counts = sorted({1, options.connections})
        for n, connections in enumerate(counts):
            messages = invitations(options.messages, offset=n * options.messages)
            per = -(-len(messages) // connections)
            batches = [messages[i:i + per] for i in range(0, len(messages), per)]
            runs.append(send_all(server.port, batches))
    finally:
        stats = server.stop()
    expected = sum(r["messages"] for r in runs)
    single = runs[0]
    per_message_ms = 1000 / single["messages_per_second"]
    build_ms = build_seconds * 1000
    criteria = [
        {"name": "messages/s over one connection", "measured": single["messages_per_second"],
         "required": f">= {options.target:g}", "passed": single["messages_per_second"] >= options.target},
        {"name": "messages accepted by the server", "measured": stats.get("accepted"),
         "required": f"= {expected}", "passed": stats.get("accepted") == expected and not any(r["failures"] for r in runs)},
        {"name": "connections opened", "measured": stats.get("connections"),
         "required": f"= {sum(r['connections'] for r in runs)}",
         "passed": stats.get("connections") == sum(r["connections"] for r in runs)
                   and all(r["client_connections"] == r["connections"] for r in runs)},
    ]
    return {
        "runs": runs,
        "server": {"loop": server.loop, **stats},
        "breakdown_ms_per_message": {
            "total_one_connection": round(per_message_ms, 3),
            "building_mime": round(build_ms, 3),
            "smtp_round_trips_and_server": round(per_message_ms - build_ms, 3),
        },
        "average_message_bytes": round(statistics.mean(
            len(MailFormat.from_sender(SENDER).render(m).data) for m in build_sample[:70])),
        "criteria": criteria,
        "passed": all(c["passed"] for c in criteria),
    }


def render_table(results: dict) -> str:
    lines = [f"{'connections':>11}  {'messages':>8}  {'seconds':>8}  {'messages/s':>10}  {'failures':>8}"]
    for r in results["runs"]:
        lines.append(f"{r['connections']:>11}  {r['messages']:>8}  {r['seconds']:>8.3f}  "
                     f"{r['messages_per_second']:>10.1f}  {r['failures']:>8}")
    b = results["breakdown_ms_per_message"]
    lines.append(f"per message over one connection: {b['total_one_connection']:.3f} ms = "
                 f"{b['building_mime']:.3f} ms building MIME + {b['smtp_round_trips_and_server']:.3f} ms SMTP "
                 f"(MAIL/RCPT/DATA round trips and the {results['server']['loop']} aiosmtpd server); "
                 f"average message {results['average_message_bytes']} bytes")
    for c in results["criteria"]:
        lines.append(f"{'PASS' if c['passed'] else 'FAIL'}  {c['name']}: {c['measured']} (required {c['required']})")
    lines.append("PASS" if results["passed"] else "FAIL")
    return "\n".join(lines)


def parse_options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="messages per run (default 3000)")
    parser.add_argument("--connections", type=int, default=1,
                        help="also run this many parallel connections (default 1: the single-connection run only)")
    parser.add_argument("--target", type=float, default=TARGET, help="required messages/s over one connection")
    parser.add_argument("--no-uvloop", action="store_true", help="run the server on the stock asyncio loop")
    parser.add_argument("--json", dest="as_json", action="store_true", help="print the results as JSON")
    options = parser.parse_args(argv)
    if options.messages < 1 or options.connections < 1:
        parser.error("--messages and --connections must be at least 1")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    try:
        results = run(options)
    except (RuntimeError, OSError, DeliveryError) as exc:
        print(f"bench_email: cannot run: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=2) if options.as_json else render_table(results))
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
