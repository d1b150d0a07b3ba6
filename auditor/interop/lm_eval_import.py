"""Store an lm-evaluation-harness BBQ run as an ordinary spillover run.

Each logged sample is matched to the BBQ item of the data at hand (category and
example_id) and checked: context, question and the three answers must be the same text.
lm-eval's answer is the argmax over its choices; the two named answers map to their own
options and every "unknown" paraphrase it adds to the item's unknown option. Scores are,
per option, the best log-likelihood of the choices that map to it, so the stored
prediction is also the argmax of the stored scores.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditor.core.answers import Answer
from auditor.core.errors import DataError, InputError
from auditor.core.items import Item
from auditor.interop.lm_eval_results import delimiter_of, describe, load_results, matching_task
from auditor.interop.lm_eval_samples import Sample, read_samples
from auditor.store.db import Store, make_id, provenance

MODE = "lm-eval"
CHECKED = ("context", "question", "ans0", "ans1", "ans2")


@dataclass(frozen=True)
class Mismatch:
    line: int
    item_id: str
    problem: str


@dataclass(frozen=True)
class ImportResult:
    run_id: str
    imported: int
    mismatches: tuple[Mismatch, ...]
    provenance: dict = field(default_factory=dict)


def answer_of(sample: Sample, item: Item) -> Answer:
    """The sample's choice mapped onto the item's options, with per-option scores."""
    texts = [o.text for o in item.options]
    option_of = [texts.index(c) if c in texts and texts.index(c) != item.unknown_index
                 else item.unknown_index for c in sample.choices]  # fmt: skip
    if set(option_of) != {0, 1, 2}:
        raise DataError(
            "",
            sample.line,
            "arguments",
            f"{sample.item_id}: an answer option is not among lm-eval's choices",
        )
    scores = [-math.inf] * 3
    for ll, option in zip(sample.loglikelihoods, option_of, strict=True):
        scores[option] = max(scores[option], ll)
    chosen = sample.chosen
    return Answer(item.id, option_of[chosen], tuple(scores), sample.choices[chosen])


def mismatch_of(sample: Sample, items: dict[str, Item]) -> str | None:
    """Why the sample is not the BBQ item of the same id (None when it is)."""
    item = items.get(sample.item_id)
    if item is None:
        return "not in this BBQ data"
    ours = {"context": item.context, "question": item.question,
            **{f"ans{i}": o.text for i, o in enumerate(item.options)}}  # fmt: skip
    for name in CHECKED:
        if sample.doc.get(name) != ours[name]:
            return f"{name} differs"
    if sample.doc.get("label") != item.label:
        return "label differs"
    return None


def import_lm_eval(
    samples_path: str | Path,
    items: Sequence[Item],
    *,
    store: Store,
    results_path: str | Path | None = None,
    name: str | None = None,
    allow_mismatch: bool = False,
    data_checksum: str | None = None,
) -> ImportResult:
    """Check every sample against ``items`` and store the run; returns its id.

    Mismatched samples refuse the import (nothing is stored) unless ``allow_mismatch``,
    which stores the matching ones only. A results file must be the results of these
    samples (`lm_eval_results`), and samples stored already with other results are refused.
    """
    data = load_results(results_path) if results_path is not None else None
    samples = read_samples(
        samples_path, delimiter_of(results_path, data) if results_path is not None and data else " "
    )
    by_id = {item.id: item for item in items}
    seen: dict[str, int] = {}
    mismatches, matched = [], []
    for sample in samples:
        if sample.item_id in seen:
            raise DataError(
                str(samples_path),
                sample.line,
                "doc.example_id",
                f"duplicate item {sample.item_id} (first at line {seen[sample.item_id]})",
            )
        seen[sample.item_id] = sample.line
        problem = mismatch_of(sample, by_id)
        if problem:
            mismatches.append(Mismatch(sample.line, sample.item_id, problem))
        else:
            matched.append(sample)
    if mismatches and not allow_mismatch:
        first = mismatches[0]
        raise DataError(
            str(samples_path),
            first.line,
            None,
            f"{len(mismatches)} of {len(samples)} samples do not match the BBQ data "
            f"(first: {first.item_id}, {first.problem}); pass the --bbq lm-eval ran "
            "on, or --allow-mismatch to import the matching ones",
        )
    if not matched:
        raise DataError(str(samples_path), None, None, "no sample matches the BBQ data")
    pairs = []
    for sample in matched:
        try:
            pairs.append((by_id[sample.item_id], answer_of(sample, by_id[sample.item_id])))
        except DataError as exc:
            raise DataError(str(samples_path), exc.line, exc.field, exc.problem) from None
    meta = {}
    if data is not None and results_path is not None:  # data comes with its path
        task = matching_task(
            results_path, data, samples, _accuracy(samples_path, samples, matched, pairs)
        )
        meta = describe(data, task)
    digest = hashlib.sha256(Path(samples_path).read_bytes()).hexdigest()[:16]
    results_digest = (
        hashlib.sha256(Path(results_path).read_bytes()).hexdigest()[:16]
        if results_path is not None
        else None
    )
    record = {k: v for k, v in meta.items() if k != "results"}
    key = json.dumps({"samples": digest, "items": sorted(by_id[s.item_id].id for s in matched)})
    _check_reimport(store, make_id("eval", key), results_path, results_digest, record)
    model = name or meta.get("model_name") or (meta.get("model_args") or {}).get("pretrained")
    run_id = store.create_or_get_run(
        "eval", key, model=str(model or Path(samples_path).name), adapter=None,
        settings={"mode": MODE, "source": "lm-eval", "samples": str(samples_path),
                  "samples_sha256": digest, "name": name, "lm_eval": record,
                  "results": None if results_path is None else str(results_path),
                  "results_sha256": results_digest,
                  "items": len(pairs), "mismatches": len(mismatches)},
        data_checksum=data_checksum, mode=MODE, template=meta.get("doc_to_text"),
        total=len(pairs), **provenance(),
    )  # fmt: skip
    items_in, answers = zip(*pairs, strict=True)
    store.add_answers(run_id, items_in, answers)
    store.update_run(run_id, status="done")
    return ImportResult(run_id, len(pairs), tuple(mismatches), meta)


def _accuracy(
    samples_path,
    samples: Sequence[Sample],
    matched: Sequence[Sample],
    pairs: Sequence[tuple[Item, Answer]],
) -> float:
    """The accuracy of every sample's answer: spillover's reading of the matched ones,
    lm-eval's own logged verdict for a skipped one (no reading of it can be checked)."""
    correct = {s.line: a.correct(item) for s, (item, a) in zip(matched, pairs, strict=True)}
    for sample in samples:
        if sample.line not in correct:
            if sample.acc is None:
                raise DataError(
                    str(samples_path),
                    sample.line,
                    "acc",
                    "missing on a skipped sample: --results cannot be checked "
                    "against these samples; import without --results",
                )
            correct[sample.line] = sample.acc == 1.0
    return sum(correct.values()) / len(samples)


def _check_reimport(
    store: Store, run_id: str, results_path, results_digest: str | None, record: dict
) -> None:
    """Refuse to import samples stored already with other results (the stored run keeps
    the task, model and prompt of the first); without --results the stored run is reused."""
    if results_path is None:
        return
    try:
        stored = store.run(run_id).settings
    except InputError:
        return
    same = (
        stored["results_sha256"] == results_digest
        if "results_sha256" in stored
        else stored.get("lm_eval") == record
    )  # stored by an earlier version
    if not same:
        was = stored.get("results") or (
            "other results" if stored.get("lm_eval") else "no --results"
        )
        raise InputError(
            f"{results_path}: these samples are stored already as run {run_id} "
            f"with {was}; pass the same --results (or none) to reuse it, or "
            "another --store"
        )


def bias_score_notes(store: Store, run_id: str, lm_eval_results: dict) -> list[str]:
    """Where lm-eval's per-attribute bias score differs from spillover's, and why."""
    from auditor.stats.bias import bias_score

    rows = store.answer_rows(run_id)
    notes = []
    for key, theirs in sorted(lm_eval_results.items()):
        metric = key.removesuffix(",none")
        if metric == key or "_bias_score_" not in metric or "stderr" in metric:
            continue
        prefix, attribute = metric.split("_bias_score_", 1)
        context = {"amb": "ambig", "disamb": "disambig"}.get(prefix)
        cell = [r for r in rows if r["attribute"] == attribute and r["context"] == context]
        if not cell or not isinstance(theirs, (int, float)) or math.isnan(theirs):
            continue
        biased = sum(r["role"] == "biased" for r in cell)
        named = sum(r["role"] in ("biased", "anti_biased") for r in cell)
        ours = bias_score(context, biased, named, sum(r["correct"] for r in cell), len(cell))
        if ours is not None and math.isclose(ours, theirs, abs_tol=1e-9):
            continue
        shown = "undefined" if ours is None else f"{ours:+.3f}"
        if named == 0:
            why = "no answer names a group: BBQ's formula is undefined (0 of 0)"
        elif biased == 0 and theirs == 0.0:
            why = "no answer is biased: lm-eval returns 0.0, BBQ's formula gives -1"
            why += " (scaled by the error rate in ambiguous contexts)" if context == "ambig" else ""
        else:
            why = "lm-eval derives the biased answers from its own group matching"
        notes.append(f"bias {attribute} {context}: lm-eval {theirs:+.3f}, spillover {shown}: {why}")
    return notes
