"""The spillover table: per attribute × context, what alignment did to accuracy and bias.

Rows are attributes (the target first); columns are ``ambig``, ``disambig`` and
``overall`` (both contexts pooled). Each cell compares the after-run with the
before-run on the items both scored: Δ = after − before.

Verdicts, from the corrected p-value at level ``alpha``:
- accuracy: "improved" if it rose, "degraded" if it fell;
- bias score: "improved" if |bias| moved toward 0, "degraded" if it moved away from 0
  (a larger absolute bias score is worse, whatever its sign); the test itself is on the
  signed Δ, and a significant change that leaves |bias| equal (within
  ``verdicts.BIAS_TOLERANCE``) is "no significant change";
- "no significant change" when the corrected p ≥ alpha, "undefined" when the test cannot
  be made (e.g. no non-unknown answers, or the overall column's bias score, which BBQ
  does not define), "pending" before the family has been corrected.

The correction family is every defined test in the table (all rows present, all three
columns, accuracy and bias); its keys are recorded in ``family``. A gate narrows it to
the tests it judges (``scope``): the others are shown "not gated", uncorrected. A
partially filled table corrects over the cells it holds; ``complete`` says whether all
rows are in.

With seed replicates (``seeds`` non-empty) a cell holds the pooled comparison of the
baseline with every seed's aligned run (``stats.replicates``): Δ is the mean over seeds,
``p`` the pooled test's (so the correction covers the pooled tests), ``seeds`` each
seed's own result and ``agreement`` how many seeds share the cell's verdict.

Once complete, each accuracy cell gets ``mde``: the smallest |Δaccuracy| the exact
McNemar test detects with 80 % power at the cell's corrected level (``stats.power``);
none when the table tests accuracy with the cluster test (``stats.clustered``), whose
power that calculation does not describe.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from auditor.core.errors import InputError
from auditor.stats.correction_pass import (  # re-exported
    agreement as agreement,
)
from auditor.stats.correction_pass import (
    cell_mde as cell_mde,
)
from auditor.stats.correction_pass import (
    corrected as corrected,
)
from auditor.stats.correction_pass import (
    in_family as in_family,
)
from auditor.stats.noninferiority import Bound
from auditor.stats.verdicts import (  # re-exported: the table's vocabulary
    DEGRADED as DEGRADED,
)
from auditor.stats.verdicts import (
    IMPROVED as IMPROVED,
)
from auditor.stats.verdicts import (
    NO_CHANGE as NO_CHANGE,
)
from auditor.stats.verdicts import (
    NOT_GATED as NOT_GATED,
)
from auditor.stats.verdicts import (
    PENDING as PENDING,
)
from auditor.stats.verdicts import (
    UNDEFINED as UNDEFINED,
)
from auditor.stats.verdicts import (
    accuracy_verdict as accuracy_verdict,
)
from auditor.stats.verdicts import (
    bias_verdict as bias_verdict,
)

if TYPE_CHECKING:
    from auditor.stats.clustered import AccuracyTests
    from auditor.stats.conventions import ConventionCell
    from auditor.stats.gap import GapChange

SCHEMA = "spillover.table/2"
READABLE = ("spillover.table/1", SCHEMA)
"""/2 added ``gaps`` (the bias-aligned accuracy gap per attribute); /1 tables read with
none. A cell's ``bound`` (non-inferiority) is optional: tables stored before read with none."""
COLUMNS: tuple[str, ...] = ("ambig", "disambig", "overall")


ACCURACY_CI = "Newcombe (1998) method 10: square-and-add Wilson, paired"
BIAS_CI = (
    "paired cluster bootstrap over template instances: percentile CI; "
    "p = 2·Φ(−|Δ|/SE), SE the bootstrap standard deviation of Δ; a cell of at most "
    "16 instances (runs^instances ≤ 65,536): exact p of the randomization test "
    "relabelling the runs within instances"
)


@dataclass(frozen=True, slots=True)
class SeedResult:
    """One seed's own comparison with the baseline in a cell; its p is corrected over
    that seed's tests in the table, with the table's method and alpha."""

    seed: int
    delta: float | None
    p: float | None
    p_corrected: float | None
    verdict: str
    before: float | None = None
    after: float | None = None


@dataclass(frozen=True, slots=True)
class AccuracyChange:
    """Paired accuracy on ``n`` items: ``b`` right→wrong, ``c`` wrong→right.

    ``p`` is the McNemar variant the table uses; all three are kept. ``mde``: the minimum
    detectable |Δ| (exact test, 80 % power, the cell's corrected level; None until the
    table is complete, or when no change could be detected with ``n`` items).
    """

    n: int
    b: int
    c: int
    before: float | None
    after: float | None
    delta: float | None
    ci: tuple[float, float] | None
    p_exact: float | None
    p_mid: float | None
    p_chi2: float | None
    p: float | None
    p_corrected: float | None = None
    marker: str = ""
    verdict: str = PENDING
    mde: float | None = None
    seeds: tuple[SeedResult, ...] = ()
    agreement: int | None = None
    bound: Bound | None = None  # the parts of the upper bound on the drop (non-inferiority)


@dataclass(frozen=True, slots=True)
class BiasChange:
    """BBQ bias score before and after, with a paired cluster-bootstrap CI, SE and p.

    Counts are (before, after); ``n_boot`` is the number of replicates where Δ was
    defined; ``reason`` says why the score is undefined ("" when defined).
    """

    before: float | None
    after: float | None
    delta: float | None
    ci: tuple[float, float] | None
    p: float | None
    se: float | None = None
    n_non_unknown: tuple[int, int] = (0, 0)
    n_left_out: tuple[int, int] = (0, 0)
    n_clusters: int = 0
    n_boot: int = 0
    reason: str = ""
    p_corrected: float | None = None
    marker: str = ""
    verdict: str = PENDING
    seeds: tuple[SeedResult, ...] = ()
    agreement: int | None = None
    bound: Bound | None = None  # the parts of the upper bound on |bias| growth


@dataclass(frozen=True, slots=True)
class Cell:
    attribute: str
    context: str
    accuracy: AccuracyChange
    bias: BiasChange

    def to_dict(self) -> dict[str, Any]:
        return _with_bounds(asdict(self), self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        acc, bias = dict(data["accuracy"]), dict(data["bias"])
        acc["ci"] = _pair(acc["ci"])
        bias["ci"] = _pair(bias["ci"])
        bias["n_non_unknown"] = tuple(bias["n_non_unknown"])
        bias["n_left_out"] = tuple(bias["n_left_out"])
        for part in (acc, bias):
            part["seeds"] = tuple(SeedResult(**r) for r in part.get("seeds", ()))
            part["bound"] = None if part.get("bound") is None else Bound.from_dict(part["bound"])
        return cls(data["attribute"], data["context"], AccuracyChange(**acc), BiasChange(**bias))


@dataclass(frozen=True, slots=True)
class Row:
    """One attribute's cells, in COLUMNS order; a row being filled may lack some."""

    attribute: str
    is_target: bool
    cells: tuple[Cell, ...] = ()

    def cell(self, context: str) -> Cell | None:
        return next((c for c in self.cells if c.context == context), None)

    def with_cell(self, cell: Cell) -> Row:
        cells = {c.context: c for c in self.cells} | {cell.context: cell}
        return replace(self, cells=tuple(cells[c] for c in COLUMNS if c in cells))


@dataclass(frozen=True, slots=True)
class Pairing:
    """How the two runs were matched: items both scored, and items only one scored."""

    n_paired: int
    only_before: int
    only_after: int


@dataclass(frozen=True, slots=True)
class SpilloverTable:
    target: tuple[str, ...]
    attributes: tuple[str, ...]
    pairing: Pairing
    rows: tuple[Row, ...] = ()
    correction: str = "holm"
    alpha: float = 0.05
    accuracy_test: str = "exact"
    n_boot: int = 10_000
    seed: int = 0
    family: tuple[str, ...] = ()
    accuracy_ci: str = ACCURACY_CI
    bias_ci: str = BIAS_CI
    notes: tuple[str, ...] = ()
    seeds: tuple[int, ...] = ()  # the DPO seeds pooled; empty for a single aligned run
    gaps: tuple[GapChange, ...] = ()  # per attribute (disambiguated contexts)
    clustering: tuple[AccuracyTests, ...] = ()  # McNemar vs the cluster test
    conventions: tuple[ConventionCell, ...] = ()  # lm-eval's and HELM's scores
    scope: tuple[str, ...] = ()  # a gate's family ("attr/context/metric"); () = every test

    def row(self, attribute: str) -> Row | None:
        return next((r for r in self.rows if r.attribute == attribute), None)

    def cell(self, attribute: str, context: str) -> Cell | None:
        row = self.row(attribute)
        return row.cell(context) if row else None

    @property
    def complete(self) -> bool:
        return all(
            (row := self.row(a)) is not None and len(row.cells) == len(COLUMNS)
            for a in self.attributes
        )

    def with_row(self, row: Row) -> SpilloverTable:
        """This table with ``row`` put in (replacing any earlier one), re-corrected."""
        if row.attribute not in self.attributes:
            raise ValueError(f"{row.attribute!r} is not a row of this table")
        rows = {r.attribute: r for r in self.rows} | {row.attribute: row}
        return corrected(replace(self, rows=tuple(rows[a] for a in self.attributes if a in rows)))

    def with_cell(self, cell: Cell) -> SpilloverTable:
        """This table with one more cell, re-corrected (for filling it cell by cell)."""
        row = self.row(cell.attribute) or Row(cell.attribute, cell.attribute in self.target)
        return self.with_row(row.with_cell(cell))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row, stored in zip(self.rows, data["rows"], strict=True):
            for cell, plain in zip(row.cells, stored["cells"], strict=True):
                _with_bounds(plain, cell)
        return {"schema": SCHEMA, **data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpilloverTable:
        if data.get("schema") not in READABLE:
            raise InputError(
                f"not a spillover table: schema {data.get('schema')!r}, expected {SCHEMA!r}"
            )
        from auditor.stats.clustered import AccuracyTests
        from auditor.stats.conventions import ConventionCell
        from auditor.stats.gap import GapChange

        rows = tuple(
            Row(r["attribute"], r["is_target"], tuple(Cell.from_dict(c) for c in r["cells"]))
            for r in data["rows"]
        )
        plain = {
            k: v
            for k, v in data.items()
            if k not in ("schema", "rows", "pairing", "gaps", "clustering", "conventions")
        }
        plain["gaps"] = tuple(GapChange.from_dict(g) for g in data.get("gaps", ()))
        plain["clustering"] = tuple(AccuracyTests.from_dict(t) for t in data.get("clustering", ()))
        plain["conventions"] = tuple(
            ConventionCell.from_dict(c) for c in data.get("conventions", ())
        )
        for key in ("target", "attributes", "family", "notes", "seeds", "scope"):
            plain[key] = tuple(plain.get(key, ()))
        return cls(rows=rows, pairing=Pairing(**data["pairing"]), **plain)

    @classmethod
    def from_json(cls, text: str) -> SpilloverTable:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"spillover table is not valid JSON: line {exc.lineno}: {exc.msg}"
            ) from None
        return cls.from_dict(data)


def _pair(value: Sequence[float] | None) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def _with_bounds(plain: dict[str, Any], cell: Cell) -> dict[str, Any]:
    """``plain`` (a cell's asdict) with its bounds in their JSON form (no NaN, no inf)."""
    for metric in ("accuracy", "bias"):
        bound = getattr(cell, metric).bound
        plain[metric]["bound"] = None if bound is None else bound.to_dict()
    return plain
