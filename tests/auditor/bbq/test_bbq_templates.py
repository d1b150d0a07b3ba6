"""`Item.template` on the real data: where it groups the four items of an instance.

BBQ writes each template instance as four consecutive example ids (4k..4k+3), one per
ambig/disambig × neg/nonneg cell. `Item.template` (category, template number and option
texts) always keeps those four together, but it also merges two instances whose
contexts name the same people in a different order: 192 such pairs in lite and 136 in
the official files here. These tests pin that, so a change of the key shows up.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

FOUR_CELLS = sorted(
    [("ambig", "neg"), ("ambig", "nonneg"), ("disambig", "neg"), ("disambig", "nonneg")]
)


@pytest.mark.parametrize("which, merged", [("lite_data", 192), ("official_data", 136)])
def test_template_key_on_real_data(which, merged, request):
    data = request.getfixturevalue(which)
    blocks = defaultdict(list)
    for item in data.items:
        blocks[(item.attribute, item.example_id // 4)].append(item)
    for group in blocks.values():  # the id blocks are the true instances
        assert sorted((i.context_condition, i.polarity) for i in group) == FOUR_CELLS
        assert len({i.template for i in group}) == 1

    by_key = defaultdict(list)
    for item in data.items:
        by_key[item.template].append(item)
    sizes = Counter(len(g) for g in by_key.values())
    assert set(sizes) == {4, 8}
    assert sizes[8] == merged
    for group in by_key.values():
        cells = Counter((i.context_condition, i.polarity) for i in group)
        assert set(cells.values()) == {len(group) // 4}
