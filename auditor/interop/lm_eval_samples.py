"""Read the per-sample log of lm-evaluation-harness's BBQ multiple-choice task.

``lm_eval --log_samples`` writes one JSON object a line: the BBQ row it ran (``doc``),
the choices it scored (``arguments``: one request per choice, the choice text in
``arg_1``) and each choice's log-likelihood (``filtered_resps``, else ``resps``).
Reading is strict: anything else is a `DataError` naming the file and line.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from auditor.bbq.loader import decode, read_bytes
from auditor.core.errors import DataError

DOC_FIELDS = ("example_id", "category", "context_condition", "context", "question",
              "ans0", "ans1", "ans2", "label")  # fmt: skip


@dataclass(frozen=True)
class Sample:
    """One logged sample: where it was, its BBQ row, its choices and their log-likelihoods."""

    line: int
    doc_id: int | None
    doc: dict
    choices: tuple[str, ...]
    loglikelihoods: tuple[float, ...]
    acc: float | None = None  # lm-eval's own verdict on the sample, when logged
    hashes: str | None = None  # its doc_hash + prompt_hash + target_hash, when logged

    @property
    def item_id(self) -> str:
        return f"{self.doc['category']}:{self.doc['example_id']}"

    @property
    def chosen(self) -> int:
        """lm-eval's answer: the first choice of highest log-likelihood (numpy argmax)."""
        lls = self.loglikelihoods
        return max(range(len(lls)), key=lambda i: (lls[i], -i))


def read_samples(path: str | Path, delimiter: str = " ") -> list[Sample]:
    """Every sample of the file at ``path``; ``delimiter`` is the task's target_delimiter,
    stripped from the front of each choice."""
    path = Path(path)
    text = decode(read_bytes(path), path)
    samples = []
    for line, raw in enumerate(text.split("\n"), start=1):
        if raw.strip():
            samples.append(_parse(raw, str(path), line, delimiter))
    if not samples:
        raise DataError(str(path), None, None, "empty file: no lm-eval samples")
    return samples


def _parse(raw: str, name: str, line: int, delimiter: str) -> Sample:
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DataError(
            name, line, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
        ) from None
    if not isinstance(row, dict) or "resps" not in row and "filtered_resps" not in row:
        raise DataError(
            name,
            line,
            None,
            "not an lm-eval samples line (no 'resps'): pass the samples_<task>.jsonl "
            "that `lm_eval --log_samples` writes",
        )
    doc = row.get("doc")
    if not isinstance(doc, dict):
        raise DataError(name, line, "doc", "missing: lm-eval logged no BBQ row for this sample")
    for field in DOC_FIELDS:
        if field not in doc:
            raise DataError(
                name, line, f"doc.{field}", "missing: not a BBQ sample (another task's samples?)"
            )
    choices = _choices(row.get("arguments"), name, line, delimiter)
    lls = _loglikelihoods(row, name, line)
    if len(lls) != len(choices):
        raise DataError(
            name, line, "filtered_resps", f"{len(lls)} log-likelihoods for {len(choices)} choices"
        )
    doc_id = row.get("doc_id")
    acc = row.get("acc")
    acc = float(acc) if isinstance(acc, (int, float)) and not isinstance(acc, bool) else None
    hashes = [row.get(k) for k in ("doc_hash", "prompt_hash", "target_hash")]
    strings = [h for h in hashes if isinstance(h, str)]
    joined = "".join(strings) if len(strings) == len(hashes) else None
    return Sample(line, doc_id if isinstance(doc_id, int) else None, doc, choices, lls, acc, joined)


def _choices(arguments, name: str, line: int, delimiter: str) -> tuple[str, ...]:
    if isinstance(arguments, dict):
        requests = [arguments[k] for k in sorted(arguments, key=_request_number)]
    elif isinstance(arguments, list):
        requests = arguments
    else:
        raise DataError(name, line, "arguments", "missing: not a multiple-choice sample")
    choices = []
    for request in requests:
        choice = (
            request.get("arg_1")
            if isinstance(request, dict)
            else (request[1] if isinstance(request, list) and len(request) > 1 else None)
        )
        if not isinstance(choice, str):
            raise DataError(
                name, line, "arguments", "no choice text (arg_1): not a multiple-choice sample"
            )
        choices.append(choice[len(delimiter) :] if choice.startswith(delimiter) else choice)
    if len(choices) < 3:
        raise DataError(name, line, "arguments", f"{len(choices)} choices; BBQ has at least 3")
    return tuple(choices)


def _request_number(key: str) -> int:
    tail = key.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _loglikelihoods(row: dict, name: str, line: int) -> tuple[float, ...]:
    field = "filtered_resps" if "filtered_resps" in row else "resps"
    resps = row[field]
    if not isinstance(resps, list):
        raise DataError(name, line, field, "not a list of log-likelihoods")
    values = []
    for resp in resps:
        # filtered_resps: [ll, is_greedy]; resps: [[ll, is_greedy]]
        while isinstance(resp, list) and resp and isinstance(resp[0], list):
            resp = resp[0]
        value = resp[0] if isinstance(resp, list) and resp else resp
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DataError(
                name, line, field, f"not a log-likelihood: {str(value)[:40]!r}"
            ) from None
        if math.isnan(number):
            raise DataError(name, line, field, "a log-likelihood is NaN")
        values.append(number)
    return tuple(values)
