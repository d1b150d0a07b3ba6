"""The one-line form of an error, as messages and stored records say it."""

from __future__ import annotations

from auditor.core.errors import described, first_line


class Silent(Exception):
    pass


def test_first_line_is_the_messages_first_nonblank_line_cut_to_the_limit():
    assert first_line(ValueError("\n  bad row 3\nTraceback follows")) == "bad row 3"
    assert first_line(ValueError("x" * 500)) == "x" * 300
    assert first_line(ValueError("abcdef"), 4) == "abcd"


def test_an_error_with_no_message_is_named_by_its_type():
    assert first_line(Silent()) == "Silent"
    assert first_line(Silent("  \n ")) == "Silent"
    assert described(Silent()) == "Silent"


def test_described_puts_the_type_before_the_first_line():
    assert described(RuntimeError("lost\nmore")) == "RuntimeError: lost"
    assert described(OSError("disk full\nat /tmp"), 4) == "OSError: disk"
