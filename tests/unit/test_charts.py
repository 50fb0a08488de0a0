"""Digest charts: real PNGs from the headless Agg canvas, deterministic, robust to odd labels."""

from __future__ import annotations

import io
import struct
from dataclasses import replace

from matplotlib.image import imread

from lpmsync.analysis.digest import AlertCounts, build_digest
from lpmsync.notify.charts import aging_chart, allocation_chart, digest_charts, wip_chart
from tests.unit.digest_fixtures import NOW, POLICY, sample_analysis

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_digest_charts_are_pngs_named_for_upload() -> None:
    digest = build_digest(sample_analysis(), POLICY, now=NOW, alerts=AlertCounts())
    charts = digest_charts(digest)
    assert sorted(charts) == ["aging.png", "allocation.png", "wip.png"]
    for content in charts.values():
        width, height = png_size(content)
        assert width == 800 and 250 <= height <= 2000
        pixels = imread(io.BytesIO(content), format="png")
        assert pixels.shape[:2] == (height, width)
        assert pixels.std() > 0.01  # something was drawn


def test_same_digest_gives_identical_bytes() -> None:
    digest = build_digest(sample_analysis(), POLICY, now=NOW, alerts=AlertCounts())
    assert digest_charts(digest) == digest_charts(digest)


def test_charts_without_data_are_left_out() -> None:
    digest = build_digest(sample_analysis(aging=0), POLICY, now=NOW, alerts=AlertCounts())
    assert "aging.png" not in digest_charts(digest)


def test_labels_with_dollars_and_odd_text_are_drawn_not_parsed() -> None:
    digest = build_digest(sample_analysis(title="<b>"), POLICY, now=NOW, alerts=AlertCounts())
    odd = [replace(line, name="$x^$ \\notacommand 🚀") for line in digest.allocation]
    assert png_size(allocation_chart(odd))[0] == 800
    assert png_size(aging_chart(digest.aging))[0] == 800
    assert png_size(wip_chart(digest.wip))[0] == 800


def test_tall_charts_grow_with_their_rows() -> None:
    digest = build_digest(
        sample_analysis(aging=40), POLICY, now=NOW, alerts=AlertCounts(), top_n=40
    )
    short = png_size(aging_chart(digest.aging[:3]))[1]
    tall = png_size(aging_chart(digest.aging))[1]
    assert tall > short * 3


def test_wip_rows_put_each_value_stream_under_its_state_per_level() -> None:
    from lpmsync.domain.digest import WipLine
    from lpmsync.domain.model import Level
    from lpmsync.notify.charts import _wip_rows

    lines = [
        WipLine("Analyzing", Level.EPIC, None, 2, 10, 3),
        WipLine("Implementing", Level.EPIC, None, 32, 12),
        WipLine("Implementing", Level.FEATURE, None, 118, 200),
        WipLine("Implementing", Level.FEATURE, "Payments", 25, 60),
        WipLine("Analyzing", Level.FEATURE, None, 40),
    ]
    assert [(r.state, r.value_stream) for r in _wip_rows(lines, Level.FEATURE)] == [
        ("Implementing", None),
        ("Implementing", "Payments"),
        ("Analyzing", None),
    ]
    assert png_size(wip_chart(lines))[0] == 800


def test_aging_marks_each_states_limit() -> None:
    digest = build_digest(sample_analysis(), POLICY, now=NOW, alerts=AlertCounts())
    plain = aging_chart(digest.aging)
    limited = aging_chart(digest.aging, {age.state: 30 for age in digest.aging})
    assert plain != limited and png_size(limited)[0] == 800
