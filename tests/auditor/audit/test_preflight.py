"""Before an audit: bad model or data fail at once with nothing stored; a store moved
without its audits/ folder never trains again silently."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from auditor.audit.pipeline import run_audit
from auditor.audit.preflight import MissingAdapter, preflight
from auditor.audit.profiles import load_profile
from auditor.core.errors import InputError
from auditor.core.events import StageFinished, TrainStep
from auditor.store.db import Store

from ..audit_fixtures import write_tiny_profile


@pytest.fixture
def tiny_profile(tmp_path, small_llama_dir, bbq_lite):
    return str(write_tiny_profile(tmp_path, small_llama_dir, bbq_lite))


@pytest.mark.parametrize(
    "model, said",
    [
        ("/nonexistent/model", "no such folder or file"),
        ("not a hub id", "no such folder or file"),
        ("{tmp}/weights.bin", "a file that is not .gguf"),
        ("{tmp}/fake.gguf", "not a GGUF file"),
        ("{tmp}", "no config.json"),
    ],
)
def test_a_bad_model_fails_before_anything_is_stored(tiny_profile, tmp_path, model, said):
    (tmp_path / "weights.bin").write_bytes(b"\0" * 16)
    (tmp_path / "fake.gguf").write_bytes(b"PK\3\4 not gguf")
    source = model.format(tmp=tmp_path)
    profile = load_profile(tiny_profile, [f'model.source="{source}"'])
    with pytest.raises(InputError, match=said):
        preflight(profile)
    store = Store(tmp_path / "runs.sqlite")
    with pytest.raises(InputError, match=said):
        run_audit(profile, store=store)
    assert store.audits() == [] and store.runs() == []


def test_bad_data_or_adapter_fail_before_anything_is_stored(tiny_profile, tmp_path):
    store = Store(tmp_path / "runs.sqlite")
    with pytest.raises(InputError, match="--bbq .*no such file"):
        run_audit(load_profile(tiny_profile), store=store, bbq=str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="adapter .*no such folder"):
        run_audit(load_profile(tiny_profile, [f'model.adapter="{tmp_path / "gone"}"']), store=store)
    assert store.audits() == []
    assert preflight(load_profile(tiny_profile)).eval_items  # the good profile plans


def test_the_cli_fails_in_one_line_and_creates_no_store(tmp_path, bbq_lite):
    store = tmp_path / "runs.sqlite"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "audit",
            "--model",
            "/nonexistent",
            "--bbq",
            str(bbq_lite),
            "--store",
            str(store),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: model /nonexistent: no such folder or file (bundled models: smollm2-135m)"
    ]
    assert not store.exists()


def test_a_moved_store_asks_then_restores_or_retrains(tiny_profile, tmp_path):
    profile = load_profile(tiny_profile, ["align.max_steps=2"])
    home = tmp_path / "home"
    home.mkdir()
    with Store(home / "runs.sqlite") as original:  # closed: all of it in the one file
        first = run_audit(profile, store=original)
    adapter = home / "audits" / first.audit_id / "alignment" / "adapter"
    assert adapter.is_dir()

    def moved(name: str) -> Store:  # the store file alone, in a new folder
        (tmp_path / name).mkdir()
        shutil.copy(home / "runs.sqlite", tmp_path / name / "runs.sqlite")
        return Store(tmp_path / name / "runs.sqlite")

    store = moved("moved")
    with pytest.raises(MissingAdapter) as caught:
        run_audit(profile, store=store)
    problem = caught.value
    assert problem.run_id == first.train_run and problem.recorded == str(adapter)
    assert (
        problem.expected == tmp_path / "moved" / "audits" / first.audit_id / "alignment" / "adapter"
    )
    assert "--retrain-missing" in str(problem) and "\n" not in str(problem)
    assert store.audit(first.audit_id).status == "done"  # asking changed nothing
    assert not problem.expected.exists()

    events = []
    restored = run_audit(
        profile, store=store, reporter=events.append, restore_adapter_from=adapter.parent
    )
    assert not [e for e in events if isinstance(e, TrainStep)]  # nothing trained
    assert any(isinstance(e, StageFinished) and e.stage == "align" and e.skipped for e in events)
    assert restored.table.to_dict() == first.table.to_dict()
    assert restored.aligned_run == first.aligned_run  # the same weights: the stored answers
    assert store.run(first.train_run).record["adapter_dir"] == str(problem.expected)
    events.clear()
    run_audit(profile, store=store, reporter=events.append)  # now it is where it belongs
    assert not [e for e in events if isinstance(e, TrainStep)]

    store = moved("retrained")
    events = []
    again = run_audit(profile, store=store, reporter=events.append, retrain_missing=True)
    assert [e.step for e in events if isinstance(e, TrainStep)] == [1, 2]
    assert again.train_run == first.train_run and store.audit(again.audit_id).status == "done"
    assert [r["step"] for r in store.train_log(first.train_run)] == [1, 2]  # none twice


@pytest.mark.parametrize(
    "flags, told",
    [
        ([], {"retrain_missing": False, "restore_adapter_from": None}),
        (["--retrain-missing"], {"retrain_missing": True, "restore_adapter_from": None}),
        (
            ["--restore-adapter", "/moved/adapter"],
            {"retrain_missing": False, "restore_adapter_from": "/moved/adapter"},
        ),
    ],
)
def test_the_cli_passes_the_choice_and_a_missing_adapter_is_one_line(
    monkeypatch, tmp_path, tiny_profile, flags, told
):
    from click.testing import CliRunner

    from auditor.cli import main

    seen = []

    def stopped(profile, **kwargs):
        seen.append({k: kwargs[k] for k in told})
        raise MissingAdapter("audit-1", "train-1", tmp_path / "a" / "adapter", "/old/adapter")

    monkeypatch.setattr("auditor.audit.pipeline.run_audit", stopped)
    result = CliRunner().invoke(
        main, ["audit", "--profile", tiny_profile, "--store", str(tmp_path / "runs.sqlite"), *flags]
    )
    assert result.exit_code == 2 and seen == [told]
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: audit audit-1: the adapter of its finished training run train-1 is missing"
    )
    assert "--retrain-missing" in lines[0] and "--restore-adapter DIR" in lines[0]
