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
