"""Text from BBQ files and models made safe for a terminal: control characters visible.

C0 and C1 control characters (ESC, BEL, CR, backspace, OSC/CSI introducers ...), DEL and
the Unicode bidirectional overrides would let item text or model output move the cursor,
clear the screen, recolour or hyperlink the terminal, or reorder what is shown. ``visible``
writes each one as an escape (``\\x1b``, ``\\u202e``); newline and tab stay, unless
``one_line``. JSON output keeps the exact text; every terminal and Markdown view uses this.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_UNSAFE_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object, *, one_line: bool = False) -> str:
    """``text`` with every control character shown as an escape instead of acting."""
    pattern = _UNSAFE_ONE_LINE if one_line else _UNSAFE
    return pattern.sub(_escape, str(text))
