"""surveys.sentiment: 311 comments read for what happened, in residents' languages, with flags."""

from __future__ import annotations

import pytest

from surveys.sentiment import FLAGS, VERSION, analyze
from surveys.sentiment.data import LexiconError, _build, lexicons, literal_starts
from surveys.sentiment.evaluate import evaluate, read_labelled
from surveys.sentiment.language import identify
from surveys.sentiment.vader import plain


def one(text: str, mode: str = "domain"):
    (result,) = analyze([text], mode=mode)
    return result


@pytest.mark.parametrize("text", [
    "The dead raccoon was picked up quickly.",
    "Abandoned car towed, thanks.",
    "Illegal dumping in the alley got cleaned up.",
    "Broken streetlight on 5th was repaired.",
])
def test_topic_words_do_not_make_a_good_outcome_negative(text):
    assert one(text).label == "positive"


@pytest.mark.parametrize("text", [
    "They closed my ticket but nothing was fixed.",
    "Marked as resolved, yet the sign is still on the ground.",
    "Request says completed. It isn't.",
])
def test_closed_but_not_fixed_is_flagged_and_negative(text):
    result = one(text)
    assert "closed_not_fixed" in result.flags and result.label == "negative"


@pytest.mark.parametrize("text", ["Still waiting after three weeks.", "Nobody came out yet.",
                                  "Two months and counting"])
def test_waiting_is_flagged_and_negative(text):
    result = one(text)
    assert "still_waiting" in result.flags and result.label == "negative"


def test_the_clause_after_but_dominates():
    assert one("The crew was nice, but the pothole is still there.").label == "negative"
    assert one("It took a while, but it's fixed and looks good.").label == "positive"


def test_negation_reverses_outcomes_and_problems():
    assert one("The leak was not fixed.").label == "negative"
    assert one("No problems at all.").label == "positive"


def test_a_problem_word_naming_the_thing_is_not_a_complaint():
    assert one("The issue was a broken water fountain in the park.").label == "neutral"
    assert one("The fountain is still broken.").label == "negative"


def test_staff_courtesy_and_safety_are_flagged():
    assert "staff_courtesy_positive" in one("The workers were very polite.").flags
    assert "staff_courtesy_negative" in one("The operator was rude and hung up on me.").flags
    assert "safety_risk" in one("Live wires hanging over the sidewalk, kids walk here.").flags


def test_repeat_contact_is_flagged_but_works_again_is_not():
    assert "repeat_contact" in one("This is the third time I report it.").flags
    assert "repeat_contact" not in one("The light works again, thanks!").flags


def test_typos_and_emoji_are_read():
    assert one("thx u guys r gr8").label == "positive"
    assert one("stil broke 😤").label == "negative"
    assert one("👍👍").label == "positive" and one("👍👍").language == "und"


def test_general_mode_is_plain_vader():
    text = "The pothole was fixed, but it took forever!"
    assert one(text, "general").compound == plain().polarity_scores(text)["compound"]
    assert one(text, "general").flags == ()


def test_every_result_is_complete_and_in_range():
    for result in analyze(["Great job!", "Terrible.", "Reported on Monday.", "Muy buen servicio"]):
        assert result.label in ("positive", "neutral", "negative")
        assert -1.0 <= result.compound <= 1.0 and 0.0 <= result.confidence <= 1.0
        assert set(result.flags) <= set(FLAGS)


@pytest.mark.parametrize("text", ["", "   \n\t", "x" * 100_000, "\x00\x01\xff\ufffd junk \x7f", "🙂🙃",
                                  "Gracias 谢谢 감사합니다 شكرا", None, 12345])
def test_bad_input_never_crashes(text):
    result = one(text)
    assert result.label in ("positive", "neutral", "negative")


def test_empty_text_is_neutral_without_language():
    assert one("  ").language == "und" and one("  ").label == "neutral" and one("  ").confidence == 0.0


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        analyze(["x"], mode="fancy")


@pytest.mark.parametrize(("text", "language"), [
    ("The trash was not picked up again", "en"),
    ("Todavía no han recogido la basura", "es"),
    ("쓰레기를 아직 안 가져갔어요", "ko"),
    ("Спасибо, всё быстро починили", "ru"),
    ("垃圾还没有收走", "zh"),
])
def test_languages_are_told_apart(text, language):
    assert identify(text)[0] == language


def test_spanish_comments_get_a_real_score():
    assert one("Nadie ha venido todavía, muy mal servicio.").label == "negative"
    assert one("Lo arreglaron rápido, muchas gracias.").label == "positive"


def test_every_language_file_loads_and_its_flags_compile():
    data = lexicons()
    assert "en" in data
    for code, lex in data.items():
        assert lex.code == code and 0 < lex.confidence <= 1 and lex.segmentation in ("words", "chars")


def test_a_broken_language_file_is_reported_with_its_name(tmp_path):
    bad = tmp_path / "xx.toml"
    bad.write_text('language = "xx"\n[flags]\nstill_waiting = ["(unclosed"]\n', encoding="utf-8")
    with pytest.raises(LexiconError, match="xx.toml"):
        _build(bad)
    bad.write_text('language = "xx"\n[words]\ngood = "very"\n', encoding="utf-8")
    with pytest.raises(LexiconError, match="must be a number"):
        _build(bad)


def test_flag_patterns_are_only_searched_where_they_can_match():
    assert literal_starts(r"\b(closed|resolved)\b.{0,9}still") == ("closed", "resolved")
    assert literal_starts(r"\b\d+ weeks") is None
    assert literal_starts(r"(?<!works )\bagain\b") == ("again",)


def test_the_version_names_the_engine_and_the_data():
    assert VERSION.startswith("1+") and len(VERSION) > 4


def test_the_311_dev_set_reaches_its_figures(shared_data):
    report = evaluate(read_labelled(str(shared_data / "sentiment" / "311_dev.csv")))
    assert report.macro_f1 >= 0.85
    assert report.by_language["es"][1] >= 0.80
    assert report.flag_recall["closed_not_fixed"] >= 0.85 and report.flag_recall["still_waiting"] >= 0.85


def test_general_mode_follows_the_human_ratings_of_vaders_tweets(shared_data):
    from tests.perf.bench_sentiment import pearson, read_tweets

    tweets = read_tweets(shared_data / "sentiment" / "tweets_GroundTruth.txt")
    scores = analyze([text for _, text in tweets], mode="general")
    assert pearson([truth for truth, _ in tweets], [s.compound for s in scores]) >= 0.87


TRICKY = ["cat, ,cat !!cat cat!! :) :-) (cat) 'cat' \"cat\" don't, ,don't ...", "a b c", "!!", "?!?!", "x...y",
          "((cat))", "cat!?", "cat?!?", "Still NOT fixed!!! >:( ", "gr8 job :D", "", "   "]


def test_the_fast_sentitext_finds_exactly_nltks_words(shared_data):
    from nltk.sentiment.vader import SentiText

    from surveys.sentiment.scorer import FastSentiText

    constants = plain().constants
    texts = list(TRICKY)
    for path in (shared_data / "sentiment").glob("*_GroundTruth.txt"):
        texts += [line.split("\t", 2)[-1] for line in path.read_text(encoding="utf-8-sig").splitlines()]
    for text in texts:
        ours = FastSentiText(text, constants.PUNC_LIST, constants.REGEX_REMOVE_PUNCTUATION)
        theirs = SentiText(text, constants.PUNC_LIST, constants.REGEX_REMOVE_PUNCTUATION)
        assert (ours.words_and_emoticons, ours.is_cap_diff) == (theirs.words_and_emoticons, theirs.is_cap_diff), text


def test_flag_patterns_match_whatever_the_case_of_the_comment():
    assert "closed_not_fixed" in one("THEY CLOSED MY TICKET BUT NOTHING WAS FIXED").flags
    assert "still_waiting" in one("Todavía Estoy Esperando Desde Hace Semanas").flags
