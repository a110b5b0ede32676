"""The public surface: ``r9s_stream.__all__`` and the exception tree drawn in the errors module."""

from __future__ import annotations

import re
import types

import r9s_stream as rs
from r9s_stream import _exceptions, testing


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _public_names(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_all_is_sorted() -> None:
    """``__all__`` is sorted (constants, classes, then functions) and has no duplicates."""
    assert rs.__all__ == sorted(rs.__all__, key=_isort_key)
    assert len(set(rs.__all__)) == len(rs.__all__)


def test_all_is_complete() -> None:
    """Every public name defined in the package namespace is listed in ``__all__``."""
    assert _public_names(rs) <= set(rs.__all__)


def test_every_name_in_all_exists() -> None:
    """Each name in ``__all__`` is an attribute of the package."""
    missing = [name for name in rs.__all__ if not hasattr(rs, name)]
    assert missing == []


def test_design_names_are_public() -> None:
    """The names DESIGN.md and issue 2 promise are exported."""
    promised = {
        "ChatCompletionStreamEvent",
        "ChatCompletionStream",
        "ChatCompletionAccumulator",
        "ChatCompletion",
        "Usage",
        "aconnect_chat_stream",
        "ChunkDecoder",
        "R9sStreamError",
        "APIStatusError",
        "StreamAPIError",
        "StreamDecodeError",
        "IncompleteStreamError",
        "StreamTimeoutError",
        "CompletionStream",
        "aconnect_completion_stream",
        "MessageStream",
        "aconnect_message_stream",
    }
    assert promised <= set(rs.__all__)


def test_the_completions_module_is_public_and_complete() -> None:
    """``rs.completions`` holds the legacy Completions kind's types, each in its sorted ``__all__``."""
    module = rs.completions
    assert module.__all__ == sorted(module.__all__, key=_isort_key)
    assert _public_names(module) <= set(module.__all__)
    assert {"Completion", "CompletionChunk", "CompletionStream", "aconnect_completion_stream"} <= set(
        module.__all__
    )
    assert module.CompletionStream is rs.CompletionStream


def test_the_messages_module_is_public_and_complete() -> None:
    """``rs.messages`` holds the Anthropic Messages kind's types, each in its sorted ``__all__``."""
    module = rs.messages
    assert module.__all__ == sorted(module.__all__, key=_isort_key)
    assert _public_names(module) <= set(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)
    assert {"Message", "MessageStreamEvent", "MessageStream", "aconnect_message_stream"} <= set(
        module.__all__
    )
    assert module.MessageStream is rs.MessageStream
    assert module.aconnect_message_stream is rs.aconnect_message_stream


def test_testing_kit_all() -> None:
    """``r9s_stream.testing.__all__`` is sorted and names only what exists."""
    assert testing.__all__ == sorted(testing.__all__, key=_isort_key)
    assert all(hasattr(testing, name) for name in testing.__all__)
    assert _public_names(testing) <= set(testing.__all__)


def _drawn_tree() -> dict[str, str | None]:
    """Parse the tree in the errors module's docstring into {class name: drawn parent}."""
    doc = _exceptions.__doc__ or ""
    block = doc.split("```")[1]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        match = re.search(r"[A-Z][A-Za-z0-9]*Error", line)
        if match is None:
            continue
        column = match.start()
        # A description that happens to mention an error name sits far to the right.
        if stack and column > stack[-1][0] + 8:
            continue
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[match.group()] = stack[-1][1] if stack else None
        stack.append((column, match.group()))
    return parents


def test_exception_tree_in_the_docstring_matches_the_classes() -> None:
    """The tree drawn in ``_exceptions``' docstring is exactly the real class hierarchy."""
    drawn = _drawn_tree()
    real: dict[str, str | None] = {}
    for name in _exceptions.__all__:
        cls = getattr(_exceptions, name)
        bases = [b.__name__ for b in cls.__bases__ if issubclass(b, rs.R9sStreamError)]
        assert len(bases) <= 1, name
        real[name] = bases[0] if bases else None
    assert drawn == real


def test_every_error_is_public_and_in_the_tree() -> None:
    """Every R9sStreamError subclass is exported by the package and drawn in the tree."""
    drawn = _drawn_tree()
    for name in rs.__all__:
        value = getattr(rs, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, rs.R9sStreamError), name
            assert name in drawn, name
    assert set(drawn) <= set(rs.__all__)


def test_timeout_error_is_also_a_builtin_timeout() -> None:
    """StreamTimeoutError can be caught as TimeoutError, as the tree says."""
    assert issubclass(rs.StreamTimeoutError, TimeoutError)
    assert "TimeoutError" in (_exceptions.__doc__ or "")


def test_version_is_a_string() -> None:
    """``__version__`` is a non-empty version string."""
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", rs.__version__)
