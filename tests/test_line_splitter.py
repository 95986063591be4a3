"""The line splitter's fast path (chunks without a carriage return) cuts a stream exactly as
the segment-by-segment path does: the same lines, the same erased lines, whatever the chunks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.recording.capture.metrics import _ErasedLine, _LineSplitter

PIECES = [b"a", b"loss=0.3", b" ", b"\t", b"\x1b[2K", b"\x1b[A", b"\r", b"\n", b"\n", b"7"]


def _segment_by_segment(chunks: list[bytes], max_bytes: int, erased: bool) -> list[object]:
    splitter = _LineSplitter(max_bytes, erased=erased)
    lines = [line for chunk in chunks for line in splitter._feed_segments(chunk)]
    return _described([*lines, *splitter.flush()])


def _described(lines: list[bytes]) -> list[object]:
    return [
        ("erased", bytes(line), line.first) if isinstance(line, _ErasedLine) else bytes(line)
        for line in lines
    ]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(PIECES), max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
    max_bytes=st.sampled_from([4, 16, 1000]),
    erased=st.booleans(),
)
def test_the_fast_path_cuts_lines_as_the_segments_do(
    pieces: list[bytes], cuts: list[int], max_bytes: int, erased: bool
) -> None:
    stream = b"".join(pieces)
    bounds = sorted({0, len(stream), *(cut for cut in cuts if cut < len(stream))})
    chunks = [stream[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    splitter = _LineSplitter(max_bytes, erased=erased)
    fast = [line for chunk in chunks for line in splitter.feed(chunk)]
    assert _described([*fast, *splitter.flush()]) == _segment_by_segment(chunks, max_bytes, erased)


def test_a_line_of_blanks_is_an_erasure_of_nothing_on_the_fast_path() -> None:
    splitter = _LineSplitter(100, erased=True)
    lines = splitter.feed(b"first\n   \nloss=0.3\n")
    assert _described(lines) == [b"first", ("erased", b"", b""), b"loss=0.3"]
