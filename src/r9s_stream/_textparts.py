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
