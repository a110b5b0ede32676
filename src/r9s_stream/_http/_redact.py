"""Keeping the API key out of errors: a server may echo it back in anything it sends."""

from __future__ import annotations

import msgspec

from .._exceptions import R9sStreamError

__all__ = ["MIN_SECRET_LENGTH", "redact", "redact_error"]

_REDACTED = "[redacted]"
# Shorter "keys" are placeholders that local servers accept ("EMPTY", "ollama", "none"):
# blotting them out of messages would garble words and model names, and hides no secret.
MIN_SECRET_LENGTH = 8


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` (the API key) blotted out."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return text
    return text.replace(secret, _REDACTED) if secret in text else text


def redact_error(error: R9sStreamError, secret: str | None) -> None:
    """Remove the API key from an error's message and every text field, in case a server echoed it.

    ``completion`` (the data received) is left as it is: it belongs to the user.
    """
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return
    error.args = tuple(redact(arg, secret) if isinstance(arg, str) else arg for arg in error.args)
    for name, value in vars(error).items():
        if name == "completion":
            continue
        if isinstance(value, str):
            setattr(error, name, redact(value, secret))
        elif isinstance(value, (dict, list)):
            encoded = msgspec.json.encode(value)
            if secret.encode() in encoded:
                cleaned = encoded.replace(secret.encode(), _REDACTED.encode())
                setattr(error, name, msgspec.json.decode(cleaned))
