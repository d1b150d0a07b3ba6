"""Length buckets and padding."""

from __future__ import annotations

import pytest
import torch

from auditor.evaluation.scoring.batching import left_pad, plan_batches, right_pad


def test_plan_sorts_longest_first_and_covers_every_index_once():
    lengths = [5, 9, 1, 9, 3, 7, 2]
    plan = plan_batches(lengths, 3)
    assert plan == [[1, 3, 5], [0, 4, 6], [2]]
    assert sorted(i for b in plan for i in b) == list(range(len(lengths)))
    assert plan_batches(lengths, 3) == plan  # deterministic
    with pytest.raises(ValueError):
        plan_batches(lengths, 0)


def test_left_pad_aligns_right_and_counts_positions_from_first_real_token():
    ids, mask, pos = left_pad([[7, 8, 9], [5]], pad_id=0)
    assert ids.tolist() == [[7, 8, 9], [0, 0, 5]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert pos.tolist() == [[0, 1, 2], [0, 0, 0]]
    assert ids.dtype == torch.long


def test_right_pad():
    ids, mask = right_pad([[4], [1, 2, 3]], pad_id=9)
    assert ids.tolist() == [[4, 9, 9], [1, 2, 3]]
    assert mask.tolist() == [[1, 0, 0], [1, 1, 1]]
