"""The app's backend on runs imported from lm-evaluation-harness: listed, compared and
drilled into like any other stored run."""

from __future__ import annotations

from tui.backend import Backend

from ..auditor.lm_eval_fixtures import build_two_runs


def test_backend_lists_compares_and_drills_into_imported_runs(tmp_path_factory, bbq_root):
    runs = build_two_runs(tmp_path_factory, bbq_root)
    backend = Backend(runs["store"], str(runs["bbq"]))
    try:
        listed = {r.id: r.mode for r in backend.list_runs()}
        assert listed == {runs["a"]: "lm-eval", runs["b"]: "lm-eval"}
        table = backend.compare_stored(runs["a"], runs["b"], ("Age",))
        assert table.pairing.n_paired == 72 and table.target == ("Age",)
        rows = backend.item_rows(runs["a"], runs["b"], "Age", "ambig", "flipped")
        expected = [f for f in runs["flips"] if f["attribute"] == "Age"
                    and f["context_condition"] == "ambig"]  # fmt: skip
        assert [r.item.id for r in rows] == [f["id"] for f in expected]
    finally:
        backend.close()
