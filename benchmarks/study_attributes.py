"""The study's controls per attribute, read from its store: the position-bias distance and
the letters chosen over every ordering (the library's ``stats.position.position_bias``),
and the share of the aggregated answers that pick the item's unknown option, for the
baseline and each seed's aligned run.

    python benchmarks/study_attributes.py --store study/store.sqlite --bbq DIR [--audit ID]
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--bbq", required=True)
    parser.add_argument("--audit", default=None, help="audit id (default: the newest done)")
    args = parser.parse_args()

    from auditor.bbq import load_bbq
    from auditor.stats.position import position_bias
    from auditor.store.db import Store

    store = Store(args.store)
    audit = next(
        a
        for a in store.audits()
        if (args.audit is None and a.status == "done") or a.id == args.audit
    )
    runs = {"baseline": audit.baseline_run}
    for link in audit.links():
        if link.role == "aligned" and not link.format:
            runs[f"seed {link.seed if link.seed is not None else 0}"] = link.run_id
    items = {item.id: item for item in load_bbq(args.bbq).items}
    orders = {name: store.order_answers(run) for name, run in runs.items()}
    answers = {name: {a.item_id: a for a in store.answers(run)} for name, run in runs.items()}
    evaluated = sorted(answers["baseline"])
    attributes = sorted({items[i].attribute for i in evaluated})
    names = " -> ".join(runs)
    print(f"audit {audit.id}: {names}")
    print("position-bias distance over every ordering (letters chosen A/B/C %):")
    for attribute in attributes:
        cells = []
        for name in runs:
            mine = {i: o for i, o in orders[name].items() if items[i].attribute == attribute}
            bias = position_bias({i: items[i] for i in mine}, mine)
            shares = "/".join(f"{100 * s:.0f}" for s in bias.shares or ())
            cells.append(f"{bias.distance:.3f} ({shares})")
        print(f"  {attribute:20s} " + " -> ".join(cells))
    print("aggregated answers choosing the unknown option:")
    for attribute in attributes:
        for context in ("ambig", "disambig"):
            ids = [
                i
                for i in evaluated
                if items[i].attribute == attribute and items[i].context_condition == context
            ]
            shares = [
                sum(answers[name][i].predicted == items[i].unknown_index for i in ids) / len(ids)
                for name in runs
            ]
            line = " -> ".join(f"{100 * s:.1f}%" for s in shares)
            print(f"  {attribute:20s} {context:8s} n={len(ids)}  {line}")


if __name__ == "__main__":
    main()
