"""Themes of residents' comments: what a slice says more than the rest, negative and growing first."""

import random
import time
from datetime import date, datetime, timedelta

import pytest

from surveys.themes import Comment, Theme, extract_themes

FILLER = [
    "The crew was polite and quick.",
    "Good service overall, nice driver.",
    "Bins were put back neatly this time.",
    "Website form was easy to use.",
    "Took a while but it got done.",
    "Street sweeping happened on schedule.",
    "Recycling went fine, no issues at all.",
    "Graffiti on the wall was painted over.",
]


def comments(*texts, compound=0.0, when=None, language="en"):
    return [Comment(t, language=language, compound=compound, when=when) for t in texts]


def by_phrase(themes):
    return {t.phrase: t for t in themes}


def sanitation_slice():
    complaints = comments(*[f"Missed pickup again on {day}, the truck skipped our street." for day in
                            ("Monday", "Tuesday", "Friday", "Thursday", "Wednesday", "Monday")], compound=-0.6)
    more = comments("Another missed pickup, bins sat out all week.", "Missed pickup for the third week.",
                    compound=-0.5)
    return complaints + more + comments(*FILLER, compound=0.4)


def background():
    texts = FILLER * 6 + ["Missed pickup once, fixed the next day.", "Pothole on Elm was filled.",
                          "Streetlight repaired after two days.", "Noise complaint handled."] * 3
    return comments(*texts, compound=0.3)


def test_the_complaint_a_slice_makes_more_than_the_background_ranks_first():
    themes = extract_themes(sanitation_slice(), background())
    top = themes[0]
    assert top.phrase == "missed pickup"
    assert top.count == 8 and top.share == pytest.approx(8 / 16)
    assert top.distinctiveness > 2  # a z-score: clearly more than the rest says it
    assert top.negativity == 1.0 and top.mean_compound == pytest.approx((6 * -0.6 + 2 * -0.5) / 8)
    assert all(isinstance(t, Theme) for t in themes)
    assert [t.score for t in themes] == sorted((t.score for t in themes), reverse=True)


def test_a_collocation_replaces_the_words_it_is_made_of():
    phrases = [t.phrase for t in extract_themes(sanitation_slice(), background(), top=50)]
    assert "missed pickup" in phrases
    assert "missed" not in phrases and "pickup" not in phrases


def test_phrases_the_background_says_more_are_not_themes_of_the_slice():
    slice_ = sanitation_slice() + comments(*FILLER * 2)  # each filler comment three times in 32
    alone = [t.phrase for t in extract_themes(slice_, top=50)]
    against = extract_themes(slice_, comments(*FILLER * 6), top=50)  # each six times in 48
    assert "polite" in alone and "polite" not in [t.phrase for t in against]
    assert against[0].phrase == "missed pickup"
    assert all(t.distinctiveness > 0 for t in against)


def test_a_negative_theme_outranks_an_equally_distinctive_neutral_one():
    neutral = comments(*[f"Asked about bulky collection {i}." for i in range(5)], compound=0.0)
    negative = comments(*[f"Asked about broken hydrant {i}." for i in range(5)], compound=-0.7)
    themes = by_phrase(extract_themes(neutral + negative + comments(*FILLER), background(), top=50))
    bad, calm = themes["broken hydrant"], themes["bulky collection"]
    assert bad.count == calm.count == 5
    assert bad.distinctiveness == pytest.approx(calm.distinctiveness)
    assert (bad.negativity, calm.negativity) == (1.0, 0.0)
    assert bad.score == pytest.approx(2 * bad.distinctiveness)
    assert calm.score == pytest.approx(calm.distinctiveness)
    ranked = [t.phrase for t in extract_themes(neutral + negative + comments(*FILLER), background(), top=50)]
    assert ranked.index("broken hydrant") < ranked.index("bulky collection")


def test_still_waiting_is_a_theme_though_still_alone_is_a_stopword():
    slice_ = comments(*[f"Still waiting for someone to come, day {i}." for i in range(6)], compound=-0.4)
    phrases = [t.phrase for t in extract_themes(slice_ + comments(*FILLER), background(), top=50)]
    assert "still waiting" in phrases
    assert "still" not in phrases


def test_stopwords_and_311_boilerplate_are_never_themes():
    texts = [f"Please thank the city for request 311 number {i}, the water main leak is back." for i in range(6)]
    phrases = [t.phrase for t in extract_themes(comments(*texts), top=50)]
    assert phrases[0] == "water main leak"
    for word in ("please", "thank", "city", "request", "311", "the", "for", "is", "number"):
        assert all(word not in phrase.split() for phrase in phrases)


def test_phrases_are_compared_lower_cased():
    slice_ = comments("MISSED PICKUP!!", "Missed Pickup again", "missed pickup, third time", "missed  pickup")
    themes = extract_themes(slice_)
    assert themes[0].phrase == "missed pickup" and themes[0].count == 4


def test_without_background_the_most_said_phrases_rank_first_against_a_uniform_prior():
    slice_ = (comments(*["Missed pickup again."] * 6) + comments(*["Overflowing bin at the park."] * 3)
              + comments(*FILLER))
    themes = extract_themes(slice_)
    assert [t.phrase for t in themes[:2]] == ["missed pickup", "overflowing bin"]
    assert themes[0].distinctiveness > themes[1].distinctiveness > 0


def test_min_count_drops_phrases_too_few_comments_mention():
    slice_ = comments(*["Missed pickup again."] * 4, "Broken lid on the bin.", "Broken lid, still broken.")
    assert "broken lid" not in [t.phrase for t in extract_themes(slice_)]
    assert "broken lid" in [t.phrase for t in extract_themes(slice_, min_count=2)]
    assert extract_themes(slice_, min_count=5) == []


def test_count_is_of_comments_not_of_repetitions():
    slice_ = comments("Missed pickup, missed pickup, missed pickup!", "Missed pickup.", "A missed pickup.")
    assert by_phrase(extract_themes(slice_))["missed pickup"].count == 3


def test_top_limits_the_list():
    slice_ = sanitation_slice()
    assert len(extract_themes(slice_, background(), top=1)) == 1
    assert extract_themes(slice_, background(), top=0) == []


def test_examples_are_masked_and_the_most_negative_come_first():
    slice_ = [
        Comment("Missed pickup, call me at 213-555-0142.", compound=-0.2),
        Comment("I'm Maria Lopez, missed pickup at 1234 W Maple Ave!", compound=-0.9),
        Comment("Missed pickup, write to joe@example.com", compound=-0.5),
        Comment("Missed pickup but they came later.", compound=0.3),
    ]
    theme = extract_themes(slice_)[0]
    assert theme.phrase == "missed pickup"
    assert theme.examples == (
        "I'm [name], missed pickup at [address]!",
        "Missed pickup, write to [email]",
        "Missed pickup, call me at [phone].",
    )
    assert theme.negativity == 0.75


def test_long_examples_are_shortened():
    slice_ = comments(*["Missed pickup " + "and the bins overflowed " * 100] * 3)
    example = extract_themes(slice_)[0].examples[0]
    assert len(example) <= 300 and example.endswith("…")


def test_a_theme_growing_week_over_week_is_emerging():
    today = date(2024, 6, 30)
    last_week = [today - timedelta(days=d) for d in (0, 1, 2, 3, 5)]
    week_before = [today - timedelta(days=9)]
    slice_ = ([Comment("Water leak on the sidewalk.", compound=-0.4, when=d) for d in last_week + week_before]
              + [Comment("Tree trimming was slow.", compound=-0.2, when=today - timedelta(days=d))
                 for d in (1, 2, 3, 8, 9, 10)])
    themes = by_phrase(extract_themes(slice_, today=today, top=50))
    leak, trees = themes["water leak"], themes["tree trimming"]
    assert leak.growth == pytest.approx((5 + 1) / (1 + 1)) and leak.emerging
    assert trees.growth == pytest.approx(1.0) and not trees.emerging


def test_today_defaults_to_the_latest_comment_and_old_mentions_do_not_count():
    start = date(2023, 1, 31)
    slice_ = ([Comment("Water leak again.", when=start - timedelta(days=d)) for d in (0, 1, 2)]
              + [Comment("Water leak again.", when=start - timedelta(days=d)) for d in (30, 40)])
    leak = extract_themes(slice_)[0]
    assert leak.growth == pytest.approx(4.0) and leak.emerging
    later = extract_themes(slice_, today=start + timedelta(days=30))[0]
    assert later.growth == pytest.approx(1.0) and not later.emerging


def test_times_of_day_count_by_their_day():
    noon = datetime(2024, 6, 30, 12, 0)
    slice_ = [Comment("Water leak.", when=noon - timedelta(days=d)) for d in (0, 1, 2)] + [Comment("Water leak.")]
    leak = extract_themes(slice_, today=date(2024, 6, 30))[0]
    assert leak.growth == pytest.approx(4.0) and leak.emerging and leak.count == 4


def test_growth_needs_three_mentions_in_the_last_week_to_be_emerging():
    today = date(2024, 6, 30)
    slice_ = [Comment("Water leak.", when=today), Comment("Water leak.", when=today),
              Comment("Water leak.", when=today - timedelta(days=20))]
    leak = extract_themes(slice_, today=today)[0]
    assert leak.growth == pytest.approx(3.0) and not leak.emerging


def test_growth_is_none_without_dates():
    themes = extract_themes(sanitation_slice(), background())
    assert themes and all(t.growth is None and not t.emerging for t in themes)


def test_empty_input_gives_no_themes():
    assert extract_themes([]) == []
    assert extract_themes([], background()) == []
    assert extract_themes(comments("", "   ", "🙂🙂🙂")) == []


def test_order_is_deterministic_with_ties_broken_by_phrase():
    slice_ = comments(*["Zebra crossing faded."] * 3, *["Alley lighting dim."] * 3)
    first = extract_themes(slice_)
    assert [t.phrase for t in first][:2] == ["alley lighting dim", "zebra crossing faded"]
    assert first == extract_themes(list(reversed(slice_)))


def test_other_languages_use_their_stopwords_and_do_not_crash():
    spanish = comments(*["La basura no fue recogida otra vez, la basura sigue en la calle."] * 4, language="es")
    phrases = [t.phrase for t in extract_themes(spanish, top=50)]
    assert "basura" in phrases and "la" not in phrases and "en" not in phrases
    haitian = comments(*["Mwen te rele pou fatra a, pa gen moun ki vini."] * 3, language="ht")
    assert "mwen" not in [t.phrase for t in extract_themes(haitian, top=50)]
    french = comments(*["J'ai appelé trois fois, c'est le trottoir qui s'effondre."] * 3, language="fr")
    phrases = [t.phrase for t in extract_themes(french, top=50)]
    assert "trottoir" in phrases and not any("'" in p for p in phrases)
    region = comments(*["Missed pickup."] * 3, language="en-US")
    assert extract_themes(region)[0].phrase == "missed pickup"


def test_chinese_is_read_in_character_pairs_and_khmer_does_not_crash():
    chinese = comments(*["垃圾没有收，垃圾桶满了。"] * 3, language="zh")
    assert "垃圾" in [t.phrase for t in extract_themes(chinese, top=50)]
    khmer = comments(*["សំរាមមិនបានប្រមូលទេ ខ្ញុំរង់ចាំ"] * 3, language="km")
    assert all(isinstance(t, Theme) for t in extract_themes(khmer))
    mixed = comments("垃圾truck missed pickup 🚛", "missed pickup 垃圾", "missed pickup!", language="zh-Hans")
    assert "missed pickup" in [t.phrase for t in extract_themes(mixed, top=50)]


def test_bad_input_does_not_crash():
    rng = random.Random(3)
    junk = bytes(rng.randrange(256) for _ in range(5000)).decode("utf-8", errors="surrogateescape")
    slice_ = [Comment(""), Comment("🙂" * 1000), Comment(junk), Comment("missed pickup " * 10_000),
              Comment("Missed pickup."), Comment("missed pickup"), Comment("\x00\ud800"),
              Comment("x", language=""), Comment("Missed pickup", language="xx-unknown", compound=float("nan"))]
    assert extract_themes(slice_, slice_, today=date(2024, 1, 1)) == []  # nothing is more said than by itself
    alone = extract_themes(slice_)
    assert alone[0].phrase == "missed pickup" and alone[0].count == 4


def test_ten_thousand_comments_take_under_two_seconds():
    rng = random.Random(11)
    words = ["missed", "pickup", "bin", "truck", "crew", "street", "pothole", "light", "graffiti", "tree", "water",
             "leak", "noise", "park", "sidewalk", "still", "waiting", "nobody", "came", "called", "twice", "rude",
             "staff", "slow", "response", "broken", "fixed", "quickly", "thanks"]
    glue = ["the", "and", "was", "again", "for", "on", "my", "a", "is", "not"]
    start = date(2024, 1, 1)

    def make(n):
        return [Comment(" ".join(rng.choice(words if i % 2 else glue) for i in range(rng.randint(8, 30))),
                        compound=rng.uniform(-1, 1), when=start + timedelta(days=rng.randrange(60)))
                for _ in range(n)]

    slice_, rest = make(10_000), make(10_000)
    extract_themes(slice_[:10])  # nltk is imported on first use: that second is not the extraction's
    started = time.process_time()  # CPU time: other processes on a busy machine do not count
    themes = extract_themes(slice_, rest)
    assert time.process_time() - started < 2.0
    assert themes and len(themes) <= 10
