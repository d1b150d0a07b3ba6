"""Every closed vocabulary of a setting, declared once: validation, click choices and error
messages are all built from these tuples."""

from __future__ import annotations

MODES: tuple[str, ...] = ("letter", "options", "generate")
"""Scoring modes: letter log-probs, option log-likelihood, greedy generation parsed."""

EVAL_MODES: tuple[str, ...] = MODES + ("cloze",)
"""What ``spillover eval`` scores in: the modes, plus ``cloze`` (no options listed, each
option's text scored as a continuation), a format alignment never trains on."""

ORDERS: tuple[str, ...] = ("none", "cyclic", "all")
"""Option-order rotation: the item's own order, its 3 rotations (3x the scoring), or all 6
permutations (6x)."""

TRANSFER_FORMATS: tuple[str, ...] = ("cloze",)
"""Untrained prompt formats an audit can also evaluate in (``[eval] transfer``)."""

PROMPT_STYLES: tuple[str, ...] = ("auto", "chat", "plain")
"""``auto``: the chat template when the tokenizer has one."""

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
"""Device names a profile accepts (the CLI also takes ``cuda:N``)."""

DTYPES: tuple[str, ...] = ("auto", "float32", "bfloat16", "float16")

REJECTED_MODES: tuple[str, ...] = ("all_wrong", "biased")
"""``all_wrong``: two preference pairs per item; ``biased``: reject the stereotyped answer."""

SWITCHES: tuple[str, ...] = ("auto", "on", "off")
"""Speed switches; ``auto`` decides per device."""

CORRECTIONS: tuple[str, ...] = ("holm", "bh")
"""Multiple-comparison corrections: Holm (FWER) and Benjamini–Hochberg (FDR)."""

ACCURACY_TESTS: tuple[str, ...] = ("mcnemar", "cluster")
"""Paired accuracy tests of the spillover table: McNemar on items (the paper's), or the
exact sign-flip test over template instances (robust to items of one instance correlating)."""

GATE_CELLS: tuple[str, ...] = ("untargeted", "all", "ambig")
"""Which cells the gate checks."""

GATE_MODES: tuple[str, ...] = ("significance", "noninferiority")
"""How the gate judges: fail significant degradations only, or also require every checked
cell to be shown within its margin (a one-sided upper bound below it)."""

TEXT_FORMATS: tuple[str, ...] = ("text", "json")
"""Output of commands that print one record (align, items)."""

RUN_KINDS: tuple[str, ...] = ("eval", "train")

RUN_STATUSES: tuple[str, ...] = ("created", "running", "done", "cancelled", "interrupted", "failed")
"""One status vocabulary for runs and audits: created → running → done | cancelled |
interrupted | failed. ``cancelled``: stopped by the cancel token (Ctrl-C, the app's
cancel); ``interrupted``: a second Ctrl-C or SIGTERM; ``failed``: an error."""
