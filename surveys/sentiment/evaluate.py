"""Scoring the analyser on a labelled CSV (text,label[,language][,category]): macro-F1, per language and category.

    python -m surveys.sentiment.evaluate FILE.csv [FILE.csv ...] [--mode general] [--errors]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from dataclasses import dataclass, field

from surveys.sentiment.analyzer import analyze
from surveys.sentiment.model import LABELS

__all__ = ["Report", "evaluate", "macro_f1", "read_labelled"]


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    """The mean over the three labels of each label's F1 (a label absent from both counts 1).

    >>> macro_f1(["positive", "negative", "neutral"], ["positive", "negative", "negative"])
    0.5555555555555555
    """
    scores = []
    for label in LABELS:
        tp = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(p == label != t for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label != p for t, p in zip(truth, predicted, strict=True))
        scores.append(1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


@dataclass
class Report:
    """The figures of one evaluation."""

    rows: int
    macro_f1: float
    accuracy: float
    by_language: dict[str, tuple[int, float]] = field(default_factory=dict)
    by_category: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: Share of the rows whose language was identified as labelled.
    language_accuracy: float | None = None
    #: Flag -> recall on the rows of the category of that name (closed_not_fixed, still_waiting).
    flag_recall: dict[str, float] = field(default_factory=dict)
    errors: list[tuple[str, str, str, str, str]] = field(default_factory=list)


def read_labelled(path: str) -> list[dict[str, str]]:
    """The rows of a labelled CSV (UTF-8, with or without BOM)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def evaluate(rows: list[dict[str, str]], mode: str = "domain") -> Report:
    """Analyse the rows' text and compare with their labels."""
    results = analyze([row["text"] for row in rows], mode=mode)
    truth = [row["label"].strip().lower() for row in rows]
    predicted = [r.label for r in results]
    report = Report(rows=len(rows), macro_f1=macro_f1(truth, predicted) if rows else 0.0,
                    accuracy=sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(rows) if rows else 0.0)
    groups: dict[str, dict[str, list[int]]] = {"language": defaultdict(list), "category": defaultdict(list)}
    for i, row in enumerate(rows):
        for key in groups:
            if row.get(key):
                groups[key][row[key]].append(i)
    for key, target in (("language", report.by_language), ("category", report.by_category)):
        for name, indexes in sorted(groups[key].items()):
            t, p = [truth[i] for i in indexes], [predicted[i] for i in indexes]
            target[name] = (len(indexes), macro_f1(t, p) if key == "language" else
                            sum(a == b for a, b in zip(t, p, strict=True)) / len(indexes))
    labelled = [i for i, row in enumerate(rows) if row.get("language")]
    if labelled:
        report.language_accuracy = sum(results[i].language == rows[i]["language"] for i in labelled) / len(labelled)
    for flag in ("closed_not_fixed", "still_waiting"):
        indexes = groups["category"].get(flag, [])
        if indexes:
            report.flag_recall[flag] = sum(flag in results[i].flags for i in indexes) / len(indexes)
    report.errors = [(row["text"], truth[i], predicted[i], results[i].language,
                      f"{results[i].compound:+.3f} {','.join(results[i].flags)}")
                     for i, row in enumerate(rows)
                     if truth[i] != predicted[i] or (row.get("language") and results[i].language != row["language"])]
    return report


def render(report: Report, errors: bool = True) -> str:
    """The report as text."""
    lines = [f"rows {report.rows}   macro-F1 {report.macro_f1:.3f}   accuracy {report.accuracy:.3f}"]
    if report.language_accuracy is not None:
        lines.append(f"language identification {report.language_accuracy:.1%}")
    for flag, recall in report.flag_recall.items():
        lines.append(f"flag recall {flag:18} {recall:.2f}")
    lines.append("by language (rows, macro-F1): " + ", ".join(
        f"{name} {n} {f1:.2f}" for name, (n, f1) in report.by_language.items()))
    lines.append("by category (rows, accuracy): " + ", ".join(
        f"{name} {n} {acc:.2f}" for name, (n, acc) in report.by_category.items()))
    if errors and report.errors:
        lines.append("misread (text | label | predicted | language | compound flags):")
        lines += [f"  {text[:90]!r} | {t} | {p} | {lang} | {detail}" for text, t, p, lang, detail in report.errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--mode", default="domain", choices=("domain", "general"))
    parser.add_argument("--quiet", action="store_true", help="figures only, not the misread rows")
    args = parser.parse_args(argv)
    rows = [row for path in args.files for row in read_labelled(path)]
    print(render(evaluate(rows, args.mode), errors=not args.quiet))
    return 0


if __name__ == "__main__":
    sys.exit(main())
