"""TextParts: text kept in pieces, read whole or as a prefix (an event's snapshot) in one copy."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from r9s_stream._output._textparts import FOLD_EVERY, TextParts

# Each step appends a piece, then maybe folds, then maybe reads the prefix up to an earlier step.
steps = st.lists(
    st.tuples(
        st.sampled_from(["", "a", "bc", "déf", "速い", "👋", "x" * 9]), st.booleans(), st.integers(-1, 40)
    ),
    max_size=3 * FOLD_EVERY,
)


@given(steps)
def test_a_prefix_is_the_text_as_of_that_many_characters(script: list[tuple[str, bool, int]]) -> None:
    """Prefixes read between appends and folds are exact; the text and the piece count are unchanged."""
    parts = TextParts()
    whole = ""
    lengths: list[int] = []
    for piece, fold, read in script:
        parts.append(piece)
        whole += piece
        lengths.append(len(whole))
        if fold:
            parts.fold()
        if read >= 0:
            length = lengths[read % len(lengths)]
            assert parts.prefix(length) == whole[:length]
            assert "".join(parts) == whole
    assert parts.pieces() == sum(1 for piece, _, _ in script if piece)
    assert parts.text() == (whole if script else None)


def test_reading_the_latest_prefix_leaves_one_piece() -> None:
    """Read as the text grows, each prefix joins the new pieces onto the last read: one string."""
    parts = TextParts()
    for piece in ["Hel", "lo", " wor", "ld"]:
        parts.append(piece)
        assert parts.prefix(sum(map(len, parts))) == "".join(parts)
        assert len(parts) == 1
    assert parts.prefix(5) == "Hello"
    assert parts.text() == "Hello world"
