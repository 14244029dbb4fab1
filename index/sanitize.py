"""Text the tokenizer can take: lone surrogates and control characters never reach the model."""

from __future__ import annotations

import re

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def first_bad_character(text: str) -> int | None:
    """Offset of the first lone UTF-16 surrogate or NUL-like control character, if any."""
    found = _SURROGATE.search(text) or _CONTROL.search(text)
    return found.start() if found else None


def scrub(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD and control characters by spaces."""
    return _CONTROL.sub(" ", _SURROGATE.sub("\ufffd", text))
