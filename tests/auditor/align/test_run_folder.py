"""The alignment output folder: only complete checkpoints resume, foreign folders are refused."""

from __future__ import annotations

import pytest

from auditor.align.run_folder import RunFolder
from auditor.core.errors import InputError


def checkpoint(folder: RunFolder, step: int, complete: bool = True):
    path = folder.checkpoints / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "adapter_model.safetensors").write_bytes(b"x")
    if complete:
        (path / "trainer_state.json").write_text(f'{{"global_step": {step}}}')
    return path


def test_last_checkpoint_skips_and_removes_a_half_written_one(tmp_path):
    folder = RunFolder(tmp_path / "out")
    folder.claim("k1")
    assert folder.last_checkpoint() is None
    checkpoint(folder, 5)
    checkpoint(folder, 10)
    partial = checkpoint(folder, 15, complete=False)  # killed while saving
    assert folder.last_checkpoint().name == "checkpoint-10"
    assert not partial.exists()


def test_a_truncated_trainer_state_is_not_a_checkpoint(tmp_path):
    folder = RunFolder(tmp_path / "out")
    folder.claim("k1")
    checkpoint(folder, 5)
    killed = checkpoint(folder, 10, complete=False)
    (killed / "trainer_state.json").write_text('{"global_step": 10, "log_hist')  # killed mid-write
    stepless = checkpoint(folder, 15, complete=False)
    (stepless / "trainer_state.json").write_text("{}")
    assert folder.last_checkpoint().name == "checkpoint-5"
    assert not killed.exists() and not stepless.exists()


def test_claim_refuses_another_run_or_a_foreign_folder(tmp_path):
    folder = RunFolder(tmp_path / "out")
    folder.claim("k1")
    folder.claim("k1")  # the same run again: fine
    checkpoint(folder, 5)
    with pytest.raises(InputError, match="holds a different alignment run"):
        folder.claim("k2")
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"")
    with pytest.raises(InputError, match="not empty and not an alignment folder"):
        RunFolder(foreign).claim("k1")


def test_claim_takes_over_a_folder_whose_run_never_trained(tmp_path):
    folder = RunFolder(tmp_path / "out")
    folder.claim("k1")  # then the run failed before its first checkpoint
    checkpoint(folder, 3, complete=False)
    folder.claim("k2")
    assert (folder.checkpoints / "KEY").read_text() == "k2\n"
    assert not (folder.checkpoints / "KEY.partial").exists()
    checkpoint(folder, 5)  # k2 has work now: k1 may not take it back
    with pytest.raises(InputError, match="holds a different alignment run"):
        folder.claim("k1")


def test_publish_never_leaves_a_half_written_final_folder(tmp_path):
    folder = RunFolder(tmp_path / "out")
    folder.claim("k1")

    def crash(tmp):
        tmp.mkdir()
        (tmp / "adapter_config.json").write_text("{}")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        folder.publish(folder.adapter, crash)
    assert not folder.adapter.exists()

    def write(tmp):
        tmp.mkdir()
        (tmp / "adapter_config.json").write_text('{"ok": 1}')

    folder.publish(folder.adapter, write)
    assert (folder.adapter / "adapter_config.json").read_text() == '{"ok": 1}'
    assert not (tmp_path / "out" / "adapter.partial").exists()


def test_sealed_checkpoints_resume_and_tampered_ones_are_refused(tmp_path):
    from auditor.align.run_folder import seal

    folder = RunFolder(tmp_path / "out")
    folder.claim("k1")
    five = checkpoint(folder, 5)
    ten = checkpoint(folder, 10)
    unsealed = checkpoint(folder, 15)  # saved, then killed before its seal was stored
    seals = {"checkpoint-5": seal(five), "checkpoint-10": seal(ten)}
    assert folder.last_checkpoint(seals).name == "checkpoint-10"
    assert not unsealed.exists()
    (ten / "optimizer.pt").write_bytes(b"not what spillover wrote")
    with pytest.raises(InputError, match="optimizer.pt' was added"):
        folder.last_checkpoint(seals)
    (ten / "optimizer.pt").unlink()
    (ten / "adapter_model.safetensors").write_bytes(b"y")
    with pytest.raises(InputError, match="adapter_model.safetensors' was modified"):
        folder.last_checkpoint(seals)


def test_step_adapters_keep_the_adapter_files_of_complete_checkpoints_only(tmp_path):
    folder = RunFolder(tmp_path / "out")
    folder.claim("k1")
    for step in (1, 2):
        path = checkpoint(folder, step)
        (path / "adapter_config.json").write_text("{}")
        (path / "optimizer.pt").write_bytes(b"state")
    checkpoint(folder, 3, complete=False)  # a killed save: not a point of the trajectory
    kept = folder.keep_step_adapters()
    assert sorted(kept) == [1, 2]
    assert sorted(p.name for p in kept[2].iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
    ]  # no optimizer state
    folder.drop_checkpoints()
    assert folder.step_adapters() == kept  # they outlive the checkpoints
    assert not list(folder.steps.glob("*.partial"))


def finished(root, key: str, steps=()) -> RunFolder:
    folder = RunFolder(root)
    folder.claim(key)
    folder.adapter.mkdir()
    (folder.adapter / "adapter_model.safetensors").write_bytes(b"weights " + key.encode())
    for step in steps:
        (folder.steps / f"step-{step}").mkdir(parents=True)
        (folder.steps / f"step-{step}" / "adapter_model.safetensors").write_bytes(b"s%d" % step)
    folder.write_record({"key": key, "adapter_dir": str(folder.adapter), "n_pairs": 4})
    return folder


def test_adopt_copies_a_finished_run_of_the_same_key_record_last(tmp_path):
    source = finished(tmp_path / "a", "k1", steps=(2, 4))
    here = RunFolder(tmp_path / "b")
    here.claim("k1")
    record = here.adopt(source, "k1")
    assert record == here.record() and record["copied_from"] == str(source.root)
    assert record["adapter_dir"] == str(here.adapter) and record["n_pairs"] == 4
    assert (here.adapter / "adapter_model.safetensors").read_bytes() == b"weights k1"
    assert {s: (p / "adapter_model.safetensors").read_bytes()
            for s, p in here.step_adapters().items()} == {2: b"s2", 4: b"s4"}  # fmt: skip
    assert not list(here.root.rglob("*.partial"))


@pytest.mark.parametrize("case", ["other key", "no adapter", "not done", "itself"])
def test_adopt_takes_nothing_that_is_not_the_same_finished_run(tmp_path, case):
    source = finished(tmp_path / "a", "k2" if case == "other key" else "k1")
    if case == "no adapter":
        (source.adapter / "adapter_model.safetensors").unlink()
        source.adapter.rmdir()
    if case == "not done":
        source.record_file.unlink()
    here = source if case == "itself" else RunFolder(tmp_path / "b")
    assert here.adopt(source, "k1") is None
    if case != "itself":
        assert not here.adapter.exists() and here.record() is None
