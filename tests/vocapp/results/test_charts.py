"""Charts: PNG and SVG downloads per question, and the SVG the charts module writes."""

from __future__ import annotations

import re
import struct

import pytest

from vocapp import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def survey_id(published, answer, login_as):
    survey_id = published("post_service")
    answer(survey_id, {"csat": 5, "fixed": "yes", "comment": "fine"}, {"csat": 4}, {"csat": 5})
    login_as("admin")
    return survey_id


def test_png_download_is_an_attached_png_image(client, survey_id):
    response = client.get(f"/surveys/{survey_id}/results/csat.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data.startswith(PNG_SIGNATURE)
    assert response.headers["Content-Disposition"] == f'attachment; filename="survey-{survey_id}-csat.png"'
    width, height = struct.unpack(">II", response.data[16:24])
    assert (width, height) == (600, 290)  # 6 inches at 100 dpi; 0.4 inch per option plus 0.9 for margins


def test_svg_download_is_a_titled_svg_document_with_text_as_text(client, survey_id):
    response = client.get(f"/surveys/{survey_id}/results/fixed.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith('<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')
    assert re.search(r"<title[^>]*>Was the problem fixed\?</title>", svg)
    assert ">Yes</text>" in svg and ">Partly</text>" in svg and ">1 (100%)</text>" in svg
    assert "<script" not in svg


def test_downloads_follow_the_filters(client, survey_id):
    svg = client.get(f"/surveys/{survey_id}/results/csat.svg?start=2030-01-01").get_data(as_text=True)
    assert ">0 (0%)</text>" not in svg  # no answers in range: bars are empty, without shares
    assert svg.count(">0</text>") >= 5
    assert client.get(f"/surveys/{survey_id}/results/csat.png?version=x").status_code == 400


def test_text_and_unknown_questions_have_no_chart(client, survey_id):
    for key in ("comment", "nope", "CSAT"):
        assert client.get(f"/surveys/{survey_id}/results/{key}.png").status_code == 404, key


def test_svg_is_clean_for_inlining():
    svg = charts.distribution_svg('Fees: $5 or $10 <b>"paid"</b>', ["$5 or $10", "<i>free</i>"], [3, 1],
                                  ["3 (75%)", "1 (25%)"], id_prefix="q-fee")
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-labelledby="q-fee-title"' in svg
    assert '<title id="q-fee-title">Fees: $5 or $10 &lt;b&gt;"paid"&lt;/b&gt;</title>' in svg
    assert ">$5 or $10</text>" in svg  # dollar signs are not read as mathematics
    assert "&lt;i&gt;free&lt;/i&gt;</text>" in svg and "<i>" not in svg
    assert "style=" not in svg and "<style" not in svg and "<metadata" not in svg
    ids = re.findall(r'\sid="([^"]+)"', svg)
    assert ids and all(i.startswith("q-fee-") for i in ids)
    for ref in re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg):
        assert (ref[0] or ref[1]) in ids


def test_bars_use_the_city_primary_colour():
    svg = charts.distribution_svg("t", ["a", "b"], [1, 2], ["1", "2"])
    assert 'fill="#005ea2"' in svg


def test_timeline_png_is_an_image():
    assert charts.timeline_png("Responses per day", ["2024-03-01", "2024-03-02"], [1, 4]).startswith(PNG_SIGNATURE)
