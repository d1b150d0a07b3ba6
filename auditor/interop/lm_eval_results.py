"""lm-eval's results file, checked against the samples it is given with.

A results file names the task, the model and the prompt a run is stored under, so it must
be the results of the very run whose samples are imported. Of the tasks it holds, the one
taken is the one whose figures agree with the samples: its task hash (lm-eval 0.4 hashes
every sample's doc, prompt and target hashes in doc order), its sample count, and its
accuracy against the accuracy of the samples' own answers. A file none of whose tasks
agrees is refused: the results of another task, another model or another run.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path

from auditor.core.errors import DataError, InputError
from auditor.interop.lm_eval_samples import Sample


def load_results(path: str | Path) -> dict:
    """The results file's JSON, refused unless it looks like lm-eval's."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise DataError(
            str(path), line, None, f"not an lm-eval results JSON file ({exc})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("configs"), dict):
        raise DataError(str(path), None, "configs", "missing: not an lm-eval results file")
    if not isinstance(data.get("results"), dict):
        raise DataError(str(path), None, "results", "missing: not an lm-eval results file")
    return data


def delimiter_of(path: str | Path, data: dict) -> str:
    """The target delimiter of the file's tasks (lm-eval's default: a space); the samples'
    choices are read with it before the task is known, so the tasks must agree on it."""
    found = {
        (c or {}).get("target_delimiter") or " "
        for c in data["configs"].values()
        if isinstance(c, dict)
    } or {" "}
    if len(found) > 1:
        raise DataError(
            str(path),
            None,
            "configs",
            "its tasks use different target "
            "delimiters; pass the results file of the samples' task alone",
        )
    return found.pop()


def task_hash(samples: Sequence[Sample]) -> str | None:
    """lm-eval's task hash of these samples (None when they do not log their hashes)."""
    ordered = sorted(samples, key=lambda s: (s.doc_id is None, s.doc_id or 0, s.line))
    hashes = [s.hashes for s in ordered if s.hashes is not None]
    if len(hashes) < len(ordered):
        return None
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


def _accuracy(results: dict) -> float | None:
    value = results.get("acc,none")
    if value is None:
        value = next((v for k, v in results.items() if k.startswith("acc,")), None)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def disagreement(data: dict, task: str, samples: Sequence[Sample], accuracy: float) -> str | None:
    """Why ``task`` of the results is not the run of ``samples`` (None when it is)."""
    results = data["results"].get(task) or {}
    theirs = (data.get("task_hashes") or {}).get(task)
    ours = task_hash(samples)
    if theirs and ours and theirs != ours:
        return "its task hash differs from the samples' (other items or prompts)"
    count = ((data.get("n-samples") or {}).get(task) or {}).get(
        "effective", results.get("sample_len")
    )
    if isinstance(count, int) and count != len(samples):
        return f"it has {count} samples, the samples file {len(samples)}"
    acc = _accuracy(results)
    if acc is None:
        return "it reports no accuracy (acc) to check against the samples"
    if not math.isclose(acc, accuracy, rel_tol=0, abs_tol=1e-9):
        return (
            f"its accuracy {acc:.4f} is not the samples' {accuracy:.4f} "
            "(the results of another model or run)"
        )
    return None


def matching_task(path: str | Path, data: dict, samples: Sequence[Sample], accuracy: float) -> str:
    """The task of the results file that is the run of ``samples``; refused when none is."""
    tasks = [t for t in data["results"] if t in data["configs"]]
    if not tasks:
        raise DataError(
            str(path), None, "results", "no task with its config: not an lm-eval results file"
        )
    reasons = {t: disagreement(data, t, samples, accuracy) for t in tasks}
    for task, reason in reasons.items():
        if reason is None:
            return task
    task = tasks[0]
    which = f"task '{task}'" if len(tasks) == 1 else f"none of its {len(tasks)} tasks; '{task}'"
    raise DataError(
        str(path),
        None,
        f"results.{task}",
        f"not the results of these samples: {which}: {reasons[task]}",
    )


def describe(data: dict, task: str) -> dict:
    """lm-eval's version, the task, model arguments and prompt format of ``task``."""
    config = data["configs"][task]
    run_config = data.get("config") or {}
    return {
        "lm_eval_version": data.get("lm_eval_version"),
        "task": task,
        "model": run_config.get("model"),
        "model_args": run_config.get("model_args"),
        "model_name": data.get("model_name"),
        "doc_to_text": config.get("doc_to_text"),
        "target_delimiter": config.get("target_delimiter", " "),
        "num_fewshot": config.get("num_fewshot"),
        "chat_template": bool(data.get("chat_template")),
        "results": data["results"].get(task, {}),
    }
