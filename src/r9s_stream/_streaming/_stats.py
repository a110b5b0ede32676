"""Timing of one stream: time to first byte and token, chunk count, throughput."""

from __future__ import annotations

from time import perf_counter

__all__ = ["StreamStats"]


class StreamStats:
    """Clock readings taken as a stream runs (``time.perf_counter`` seconds).

    The derived figures are ``None`` until the moment they describe has happened.
    """

    __slots__ = (
        "chunks",
        "completion_tokens",
        "finished_at",
        "first_byte_at",
        "first_chunk_at",
        "first_token_at",
        "gateway_at",
        "output_chunks",
        "started_at",
    )

    def __init__(self, started_at: float | None = None) -> None:
        self.started_at = perf_counter() if started_at is None else started_at
        self.first_byte_at: float | None = None
        self.first_chunk_at: float | None = None
        self.first_token_at: float | None = None
        self.gateway_at: float | None = None  # the r9s gateway's probe comment came (see time_to_gateway)
        self.finished_at: float | None = None
        self.chunks = 0
        self.completion_tokens: int | None = None
        # Chunks that carried output (content, refusal, reasoning, tool calls), set at the end.
        self.output_chunks: int | None = None

    def finish(self, output_tokens: int | None, output_chunks: int) -> None:
        """The stream ended (or was closed): stop the clock, take the token count it reported."""
        self.finished_at = perf_counter()
        self.completion_tokens = output_tokens
        self.output_chunks = output_chunks

    @property
    def time_to_first_byte(self) -> float | None:
        """Seconds from the request to the first byte of the body."""
        return None if self.first_byte_at is None else self.first_byte_at - self.started_at

    @property
    def time_to_gateway(self) -> float | None:
        """Seconds from the request to the r9s gateway's ``: R9S PROCESSING`` comment.

        The gateway sends it, when asked (``AsyncClient`` asks it, and only it), as soon as it
        has accepted the request, before the upstream's first byte: the gap from here to the
        first token is the upstream's. ``None`` when it never came (another server, an older
        gateway).
        """
        return None if self.gateway_at is None else self.gateway_at - self.started_at

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from the request to the first content, reasoning or tool-call delta."""
        return None if self.first_token_at is None else self.first_token_at - self.started_at

    @property
    def duration(self) -> float | None:
        """Seconds from the request to the end of the stream."""
        return None if self.finished_at is None else self.finished_at - self.started_at

    @property
    def tokens_per_second(self) -> float | None:
        """Completion tokens per second after the first token.

        Uses the server's ``usage.completion_tokens`` when it sent usage, and otherwise
        counts the chunks that carried output (one token per chunk is what most servers
        send; the role-only first chunk, the finish chunk and usage chunks carry none).
        """
        if self.first_token_at is None or self.finished_at is None:
            return None
        elapsed = self.finished_at - self.first_token_at
        tokens = self.completion_tokens
        if tokens is None:
            tokens = self.chunks if self.output_chunks is None else self.output_chunks
        return tokens / elapsed if elapsed > 0 else None

    def __repr__(self) -> str:
        def fmt(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        return (
            f"StreamStats(chunks={self.chunks}, ttfb={fmt(self.time_to_first_byte)}s, "
            f"ttft={fmt(self.time_to_first_token)}s, duration={fmt(self.duration)}s, "
            f"tokens_per_second={fmt(self.tokens_per_second)})"
        )
