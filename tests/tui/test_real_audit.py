"""One real audit through the app's worker: a tiny random Llama, real DPO, real stats.

The model has a 512-token vocabulary so that DPO steps take tenths of a second on CPU.
"""

from __future__ import annotations

import pytest

from auditor.audit.comparison import compare_stored
from auditor.audit.profiles import load_profile
from auditor.store.db import Store
from tui import SpilloverApp
from tui.backend import Backend
from tui.screens.run import RunScreen
from tui.state import DONE
from tui.widgets.spillover import SpilloverView

from .conftest import SIZE, settle

pytestmark = [pytest.mark.asyncio]


@pytest.fixture(scope="module")
def tiny_profile(tmp_path_factory, bbq_lite):
    """The lead's tiny-model audit profile (tests/auditor/audit_fixtures.py)."""
    from auditor.models.sources import resolve_source
    from tests.auditor.align_helpers import make_small_llama
    from tests.auditor.audit_fixtures import write_tiny_profile

    folder = tmp_path_factory.mktemp("tiny-audit")
    model = make_small_llama(
        folder / "small-llama", resolve_source("smollm2-135m"), [bbq_lite / "Gender_identity.jsonl"]
    )
    return write_tiny_profile(folder, model, bbq_lite)


async def test_a_real_audit_runs_in_the_worker_matches_compare_stored_and_exports(
    tiny_profile, tmp_path, bbq_lite, monkeypatch
):
    """The audit run in the app's worker: its table, the independent paired comparison of
    its stored runs. Then the run screen exports the result the run just returned (its
    profile as the engine holds it, not as the store does): each format, the bytes the
    stored audit's report gives. The live profile's tuples were refused, so nothing was
    written."""
    from auditor.reports.formats import APP_FORMATS, BY_NAME, write_report

    from .test_results import export_from

    monkeypatch.chdir(tmp_path)
    backend = Backend(tmp_path / "runs.sqlite")
    app = SpilloverApp(backend, profile=str(tiny_profile))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, RunScreen), screen
            assert screen.status == "done", screen.query_one("#run-status").content
            assert all(s.status == DONE for s in screen.progress.stages.values())
            assert screen.progress.train and screen.progress.train[-1].step == 4
            evals = screen.progress.evals
            assert evals["baseline"].done == evals["aligned"].done == 72
            shown = screen.query_one(SpilloverView).table
            result = live = screen.result
            assert isinstance(live.profile["data"]["attributes"], tuple)  # not read back
            for fmt in (f.name for f in APP_FORMATS):
                await export_from(app, pilot, fmt)
                written = tmp_path / f"spillover-{live.audit_id}{BY_NAME[fmt].suffixes[0]}"
                assert list(app._notifications)[-1].message == f"wrote {written}"
                stored = backend.report(
                    result=backend.load_audit(live.audit_id), flips=fmt == "html"
                )
                again = write_report(stored, fmt, tmp_path / f"stored-{written.name}")
                assert written.read_bytes() == again.read_bytes(), fmt
    finally:
        backend.close()
    profile = load_profile(str(tiny_profile))
    with Store(tmp_path / "runs.sqlite") as store:
        expected = compare_stored(
            store,
            result.baseline_run,
            result.aligned_run,
            bbq=str(bbq_lite),
            target=profile.align.target,
            n_boot=profile.stats.n_boot,
            seed=profile.stats.seed,
        ).table
    assert shown.to_dict() == expected.to_dict() == result.table.to_dict()
