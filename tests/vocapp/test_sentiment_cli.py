"""`vocapp sentiment FILE --column text`: a CSV in, the same CSV out with label, compound, language and flags."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

import surveys.sentiment
from vocapp import sentiment_cli
from vocapp.sentiment_cli import sentiment_command

ROWS = [
    ("1", "They closed my ticket but the pothole is still there."),
    ("2", "The crew came the next day and fixed it. Thank you!"),
    ("3", "It took about a week."),
    ("4", "Cerraron mi reporte pero el problema sigue igual."),
]


def write_csv(path: Path, header, rows, delimiter=",", encoding="utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(sentiment_command, list(args), input=input)


def read(text: str, delimiter=",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_label_compound_language_and_flags_are_added_to_every_row_in_order(tmp_path):
    path = write_csv(tmp_path / "in.csv", ["id", "text"], ROWS, encoding="utf-8-sig")
    result = run(str(path), "--column", "text")
    assert result.exit_code == 0, result.output
    out = read(result.stdout)
    assert out[0] == ["id", "text", "label", "compound", "language", "flags"]
    assert [row[:2] for row in out[1:]] == [list(r) for r in ROWS]
    expected = surveys.sentiment.analyze([text for _, text in ROWS])
    assert [row[2:] for row in out[1:]] == [[s.label, f"{s.compound:.4f}", s.language, ";".join(s.flags)]
                                            for s in expected]
    assert out[1][2] == "negative" and "closed_not_fixed" in out[1][5].split(";")
    assert out[2][2] == "positive"
    assert out[4][4] == "es"
    assert "4 row(s) scored" in result.stderr


def test_general_mode_is_plain_vader(tmp_path):
    path = write_csv(tmp_path / "in.csv", ["id", "text"], ROWS)
    result = run(str(path), "--mode", "general")
    assert result.exit_code == 0, result.output
    expected = surveys.sentiment.analyze([text for _, text in ROWS], mode="general")
    assert [row[3] for row in read(result.stdout)[1:]] == [f"{s.compound:.4f}" for s in expected]


def test_the_delimiter_and_line_ends_of_the_file_are_kept(tmp_path):
    path = write_csv(tmp_path / "in.csv", ["id", "comment", "ward"], [(i, t, "CD 1") for i, t in ROWS], ";")
    result = run(str(path), "--column", "comment")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"id;comment;ward;label;compound;language;flags\r\n")
    out = read(result.stdout, ";")
    assert len(out) == len(ROWS) + 1 and all(len(row) == 7 for row in out)


def test_a_missing_column_exits_2_naming_the_columns_there_are(tmp_path):
    path = write_csv(tmp_path / "in.csv", ["id", "comment", "ward"], [("1", "fine", "CD 1")])
    result = run(str(path), "--column", "text")
    assert result.exit_code == 2
    assert "no column 'text'" in result.stderr
    assert "'id', 'comment', 'ward'" in result.stderr
    assert result.stdout == ""


def test_an_empty_file_or_a_missing_one_exits_2(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    result = run(str(tmp_path / "empty.csv"))
    assert result.exit_code == 2 and "no header row" in result.stderr
    result = run(str(tmp_path / "nope.csv"))
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_a_row_with_invalid_utf8_is_written_with_replacement_characters_and_a_warning(tmp_path):
    body = b"id,text\n1,Thank you so much!\n" + b"2,The caf\xe9 corner light is out\n" + \
        b"3,Still waiting for the crew.\n"
    (tmp_path / "in.csv").write_bytes(body)
    result = run(str(tmp_path / "in.csv"))
    assert result.exit_code == 0, result.output
    out = read(result.stdout)
    assert [row[0] for row in out[1:]] == ["1", "2", "3"]
    assert out[2][1] == "The caf\ufffd corner light is out"
    assert out[2][2] in ("positive", "neutral", "negative")
    assert "line 3" in result.stderr and "not UTF-8" in result.stderr and "e9" in result.stderr


@pytest.mark.parametrize("text", ["", "   \t  ", "x" * 100_000, "\x00\x01\x02\x7f junk \ufffe",
                                  "😡😡😡", "é" * 50_000, "\"quoted\", with a comma"])
def test_odd_texts_never_crash_and_keep_their_row(tmp_path, text):
    path = write_csv(tmp_path / "in.csv", ["id", "text", "after"], [("1", text, "a"), ("2", "Thanks!", "b")])
    result = run(str(path))
    assert result.exit_code == 0, result.output
    out = read(result.stdout)
    assert [row[0] for row in out[1:]] == ["1", "2"]
    assert out[1][1] == text and out[1][2] == "a"
    assert out[1][3] in ("positive", "neutral", "negative")


def test_binary_junk_lines_keep_their_rows(tmp_path):
    junk = bytes(range(256)).replace(b"\n", b"").replace(b"\r", b"").replace(b'"', b"").replace(b",", b"")
    (tmp_path / "in.csv").write_bytes(b"id,text\n1," + junk + b"\n2,fine\n")
    result = run(str(tmp_path / "in.csv"))
    assert result.exit_code == 0, result.output
    assert [row[0] for row in read(result.stdout)[1:]] == ["1", "2"]
    assert "line 2" in result.stderr


def test_short_rows_are_padded_and_blank_lines_kept(tmp_path):
    (tmp_path / "in.csv").write_text("id,text,ward\n1,Thanks!\n\n2,Nobody came,CD 2\n")
    result = run(str(tmp_path / "in.csv"))
    assert result.exit_code == 0, result.output
    lines = result.stdout_bytes.decode().split("\n")
    assert lines[2] == ""
    out = read(result.stdout)
    assert out[1][:3] == ["1", "Thanks!", ""] and len(out[1]) == 7
    assert out[3][:3] == ["2", "Nobody came", "CD 2"]


def test_columns_already_named_label_or_language_get_a_sentiment_prefix(tmp_path):
    path = write_csv(tmp_path / "in.csv", ["text", "label", "language"], [("Thank you!", "positive", "en")])
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert read(result.stdout)[0] == ["text", "label", "language", "sentiment_label", "sentiment_compound",
                                      "sentiment_language", "sentiment_flags"]
    assert "sentiment_label" in result.stderr


def test_big_files_are_scored_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(sentiment_cli, "BATCH_ROWS", 7)
    sizes = []
    real = surveys.sentiment.analyze

    def counting(texts, mode="domain"):
        sizes.append(len(texts))
        return real(texts, mode=mode)

    monkeypatch.setattr(surveys.sentiment, "analyze", counting)
    path = write_csv(tmp_path / "in.csv", ["id", "text"], [(i, f"Comment {i}, thanks") for i in range(50)])
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert sizes == [7] * 7 + [1]
    assert [row[0] for row in read(result.stdout)[1:]] == [str(i) for i in range(50)]


def test_stdin_is_read_when_the_file_is_a_dash():
    result = run("-", input=b"text\nThank you!\n")
    assert result.exit_code == 0, result.output
    assert read(result.stdout)[1][:2] == ["Thank you!", "positive"]


def test_the_command_is_on_the_vocapp_cli(runner, tmp_path):
    path = write_csv(tmp_path / "in.csv", ["id", "text"], ROWS[:2])
    result = runner.invoke(args=["sentiment", str(path), "--column", "text"])
    assert result.exit_code == 0, result.output
    assert read(result.stdout)[0][-4:] == ["label", "compound", "language", "flags"]


def test_the_311_development_set_comes_back_whole(shared_data):
    path = shared_data / "sentiment" / "311_dev.csv"
    result = run(str(path), "--column", "text")
    assert result.exit_code == 0, result.output
    with open(path, encoding="utf-8-sig", newline="") as f:
        original = list(csv.reader(f))
    out = read(result.stdout)
    assert len(out) == len(original) == 101
    assert [row[:4] for row in out] == original
    assert out[0][4:] == ["sentiment_label", "sentiment_compound", "sentiment_language", "sentiment_flags"]
    agree = sum(row[1] == row[4] for row in out[1:])
    assert agree >= 60, f"only {agree} of 100 labels agree with the human ones"
