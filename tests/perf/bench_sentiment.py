"""Sentiment analysis: dev-set accuracy, general mode against VADER's tweets, throughput, language identification.

Requirements (issue 5), all measured in one run:

* ../shared/data/sentiment/311_dev.csv: macro-F1 >= 0.85 overall and >= 0.80 on the
  Spanish rows; recall >= 0.85 on the closed_not_fixed and still_waiting rows;
* ``general`` mode against the ICWSM tweets set: Pearson r >= 0.87 with the mean human rating;
* ``analyze`` with the domain layer: at least 60% of plain nltk VADER's texts/s on the same
  texts, and at least 5,000 comments/s on one core;
* language identification >= 95% on each language's dev set (tests/surveys/sentiment_dev),
  whose per-language macro-F1 is reported too.

    .venv/bin/python tests/perf/bench_sentiment.py [--json]

Exit status 0 when it passes, 1 when not, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from surveys.sentiment import analyze  # noqa: E402
from surveys.sentiment.evaluate import evaluate, read_labelled  # noqa: E402
from surveys.sentiment.vader import plain  # noqa: E402

__all__ = ["measure", "main"]

SHARED = ROOT.parent / "shared" / "data" / "sentiment"
DEV_SETS = ROOT / "tests" / "surveys" / "sentiment_dev"


def read_tweets(path: Path) -> list[tuple[float, str]]:
    """(mean rating / 4, text) of VADER's ground-truth file (tab-separated: id, mean, text)."""
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for line in f:
            parts = line.rstrip("\r\n").split("\t", 2)
            if len(parts) == 3:
                rows.append((float(parts[1]) / 4, parts[2]))
    return rows


def pearson(xs: list[float], ys: list[float]) -> float:
    """Pearson's r."""
    return statistics.correlation(xs, ys)


def throughput(texts: list[str], rounds: int = 3) -> tuple[float, float]:
    """(analyze texts/s, plain VADER texts/s), best of `rounds`, alternating."""
    vader = plain()
    analyze(texts[:100])  # load the models first
    ours, theirs = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            vader.polarity_scores(text)
        theirs.append(len(texts) / (time.perf_counter() - started))
        started = time.perf_counter()
        analyze(texts)
        ours.append(len(texts) / (time.perf_counter() - started))
    return max(ours), max(theirs)


def measure() -> dict:
    """Every figure, and the verdicts."""
    dev = evaluate(read_labelled(str(SHARED / "311_dev.csv")))
    tweets = read_tweets(SHARED / "tweets_GroundTruth.txt")
    general = analyze([text for _, text in tweets], mode="general")
    r = pearson([truth for truth, _ in tweets], [s.compound for s in general])
    comments = [row["text"] for row in read_labelled(str(SHARED / "311_dev.csv"))]
    for path in sorted(DEV_SETS.glob("*.csv")):
        comments += [row["text"] for row in read_labelled(str(path))]
    sample = (comments * (20_000 // max(len(comments), 1) + 1))[:20_000]
    ours, vader = throughput(sample)
    languages = {}
    for path in sorted(DEV_SETS.glob("*.csv")):
        report = evaluate(read_labelled(str(path)))
        languages[path.stem] = {"rows": report.rows, "macro_f1": round(report.macro_f1, 3),
                                "language_id": round(report.language_accuracy or 0.0, 3),
                                "flag_recall": {k: round(v, 2) for k, v in report.flag_recall.items()}}
    spanish = dev.by_language.get("es", (0, 0.0))[1]
    checks = {
        "311_dev macro-F1 >= 0.85": dev.macro_f1 >= 0.85,
        "311_dev Spanish macro-F1 >= 0.80": spanish >= 0.80,
        "closed_not_fixed recall >= 0.85": dev.flag_recall.get("closed_not_fixed", 0) >= 0.85,
        "still_waiting recall >= 0.85": dev.flag_recall.get("still_waiting", 0) >= 0.85,
        "general mode Pearson r >= 0.87 (tweets)": r >= 0.87,
        "analyze >= 60% of plain VADER's texts/s": ours >= 0.6 * vader,
        "analyze >= 5,000 comments/s": ours >= 5000,
        "language identification >= 95% on every dev set": all(v["language_id"] >= 0.95 for v in languages.values()),
    }
    return {
        "dev_macro_f1": round(dev.macro_f1, 3), "dev_spanish_macro_f1": round(spanish, 3),
        "dev_flag_recall": {k: round(v, 2) for k, v in dev.flag_recall.items()},
        "dev_language_id": round(dev.language_accuracy or 0.0, 3),
        "tweets_pearson_r": round(r, 3), "tweets": len(tweets),
        "analyze_per_second": round(ours), "vader_per_second": round(vader), "ratio": round(ours / vader, 3),
        "languages": languages, "checks": checks, "passed": all(checks.values()),
    }


def render(res: dict) -> str:
    """The figures as a person reads them."""
    lines = [
        f"311_dev.csv: macro-F1 {res['dev_macro_f1']:.3f} (Spanish rows {res['dev_spanish_macro_f1']:.3f}), "
        f"flag recall {res['dev_flag_recall']}, language identification {res['dev_language_id']:.1%}",
        f"general mode on {res['tweets']:,} tweets: Pearson r {res['tweets_pearson_r']:.3f}",
        f"throughput: analyze {res['analyze_per_second']:,}/s, plain VADER {res['vader_per_second']:,}/s "
        f"({res['ratio']:.0%})",
        "",
        f"{'language':10}{'rows':>6}{'macro-F1':>10}{'lang id':>9}   flag recall",
    ]
    for code, v in res["languages"].items():
        lines.append(f"{code:10}{v['rows']:>6}{v['macro_f1']:>10.3f}{v['language_id']:>9.1%}   {v['flag_recall']}")
    lines.append("")
    lines += [f"{'PASS' if ok else 'FAIL'}  {name}" for name, ok in res["checks"].items()]
    lines += ["", "PASS" if res["passed"] else "FAIL"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not (SHARED / "311_dev.csv").is_file():
        print(f"the sentiment data {SHARED} is absent", file=sys.stderr)
        return 2
    res = measure()
    print(json.dumps(res, indent=2) if args.json else render(res))
    return 0 if res["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
