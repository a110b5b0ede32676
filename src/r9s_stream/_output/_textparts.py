"""Text that arrives in many small pieces, kept in O(its length) memory and joined in O(n)."""

from __future__ import annotations

__all__ = ["FOLD_EVERY", "TextParts"]

# A str object costs ~50 bytes beyond its characters; a stream sends one of a few characters
# per chunk. Folding every FOLD_EVERY new pieces into one string keeps ~1 byte of overhead per
# piece, and each character is copied once more in all.
FOLD_EVERY = 64


class TextParts(list[str]):
    """A list of text pieces (``append`` stays the C method) that can fold its new ones."""

    __slots__ = ("folded", "folded_pieces")

    def __init__(self) -> None:
        super().__init__()
        self.folded = 0  # pieces at the front that are already folded strings
        self.folded_pieces = 0  # non-empty pieces that went into those strings

    def fold(self) -> None:
        """Join the pieces added since the last fold into one string, if there are enough."""
        if len(self) - self.folded >= FOLD_EVERY:
            new = self[self.folded :]
            self.folded_pieces += len(new) - new.count("")
            self[self.folded :] = ["".join(new)]
            self.folded += 1

    def text(self) -> str | None:
        """All the text so far (``None`` if nothing was added); later joins start from it."""
        if not self:
            return None
        self.folded_pieces = self.pieces()
        if len(self) > 1:
            self[:] = ["".join(self)]
        self.folded = 1
        return self[0]

    def pieces(self) -> int:
        """How many non-empty pieces were added (counted when they fold, never per append)."""
        new = self[self.folded :]
        return self.folded_pieces + len(new) - new.count("")

    def prefix(self, length: int) -> str:
        """The first ``length`` characters, copied once (an event's snapshot; see ``_events``).

        The pieces that hold them become one string, so a later read starts from it; a folded
        piece the prefix ends inside is split, which copies at most that piece once more.
        """
        total = 0
        count = 0
        for piece in self:
            count += 1
            total += len(piece)
            if total >= length:
                break
        if count <= 1:
            first = self[0] if self else ""
            return first if len(first) == length else first[:length]
        over = total - length  # characters of the last piece past the prefix
        head = self[:count]
        rest = []
        if over > 0:
            last = head.pop()
            head.append(last[: len(last) - over])
            rest.append(last[len(last) - over :])
        joined = "".join(head)
        if count > self.folded:  # new pieces go into the join: count them as fold() does
            new = self[self.folded : count]
            self.folded_pieces += len(new) - new.count("")
            self.folded = 1 + len(rest)
        else:
            self.folded -= count - 1 - len(rest)
        self[:count] = [joined, *rest]
        return joined
