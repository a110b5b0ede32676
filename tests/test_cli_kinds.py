"""How the command tells a recording's wire kind, and the usage line every kind shares."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from r9s_stream._cli._api import token_text
from r9s_stream._cli._apis import APIS, DEFAULT_API
from r9s_stream._cli._kinds import KINDS, detect_kind

FIXTURES = Path(__file__).parent / "fixtures"
# Every recording under tests/fixtures whose kind its folder (or, at the top, chat) names.
RECORDINGS = sorted(
    [(path, "chat") for path in FIXTURES.glob("*.sse")]
    + [(path, kind) for kind in KINDS if kind != "chat" for path in (FIXTURES / kind).glob("*.sse")],
    key=lambda pair: pair[0].name,
)


@pytest.mark.parametrize(("path", "kind"), RECORDINGS, ids=[path.name for path, _ in RECORDINGS])
def test_every_recording_is_told_its_kind(path: Path, kind: str) -> None:
    """`replay` picks the decoder from the recording itself: each fixture is told its own kind."""
    assert detect_kind(path.read_bytes()) == kind


def test_the_default_api_is_chat_and_every_api_is_a_known_kind() -> None:
    """`chat` without `--api` speaks chat completions; every `--api` name is one of the wire kinds."""
    assert DEFAULT_API == "chat"
    assert set(APIS) <= set(KINDS)


class _InputUsage(msgspec.Struct):
    input_tokens: int
    output_tokens: int


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (None, "no usage reported"),
        (
            {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
            "9 prompt + 2 completion = 11 tokens",
        ),
        (_InputUsage(input_tokens=5, output_tokens=3), "5 prompt + 3 completion = 8 tokens"),
        ({"input_tokens": 4, "output_tokens": 0, "total_tokens": None}, "4 prompt + 0 completion = 4 tokens"),
    ],
)
def test_usage_line_reads_any_kinds_names(usage: object, expected: str) -> None:
    """The stats line counts prompt and completion tokens whether a kind says prompt_ or input_tokens."""
    assert token_text(usage) == expected
