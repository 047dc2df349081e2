"""Mutation scores reach ``python -m bench`` from the committed record, and only while it describes the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import mutation_record
from bench.bench_mutation import figures
from bench.figures import Figure
from bench.mutation_record import Record

MODULES = ("bot/alpha.py", "bot/beta.py")


class Tree:
    """A tiny repository: two modules, their tests, an equivalents list and a results file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.results = root / "bench" / "mutation_results.json"
        self.equivalents = root / "bench" / "mutation_equivalents.md"
        for module in MODULES:
            self.write(module, f"def f():\n    return {module!r}\n")
            self.write(self.test_of(module), "def test_f():\n    assert True\n")
        self.write(
            "bench/mutation_equivalents.md",
            "# Equivalent mutants\n\n- `bot.alpha.x_f` `return 'BOT/ALPHA.PY'` — the case of the name is not read\n",
        )
        self.reruns: list[list[str]] = []

    @staticmethod
    def test_of(module: str) -> str:
        return f"tests/test_{Path(module).stem}.py"

    def write(self, name: str, text: str) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")

    def record(self, module: str, *, killed: int = 95, total: int = 100, equivalent: int = 2) -> None:
        """Record a run of ``module`` against the tree as it is now (what bench/mutation.py does after a run)."""
        tests = (self.test_of(module),)
        listed = mutation_record.load_equivalents(self.equivalents)
        records = mutation_record.load(self.results)
        records[module] = Record(
            module=module,
            total=total,
            killed=killed,
            survived=total - equivalent - killed,
            equivalent=equivalent,
            score=round(100 * killed / (total - equivalent), 2),
            date="2026-11-30",
            commit="0123456789abcdef",
            seconds=61.0,
            source_sha256=mutation_record.source_sha256(self.root, module),
            tests=tests,
            tests_sha256=mutation_record.tests_sha256(self.root, tests),
            equivalents_sha256=mutation_record.equivalents_sha256(module, listed),
        )
        mutation_record.save(records, self.results)

    def rerun(self, modules: list[str]) -> None:
        """Stands in for mutmut: records each module afresh, with a different score so a re-run shows."""
        self.reruns.append(modules)
        for module in modules:
            self.record(module, killed=98)

    def figures(self, quick: bool) -> list[Figure | str]:
        return figures(
            quick,
            modules=MODULES,
            root=self.root,
            results=self.results,
            equivalents=self.equivalents,
            rerun=self.rerun,
        )


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    t = Tree(tmp_path)
    for module in MODULES:
        t.record(module)
    return t


def scores(rows: list[Figure | str]) -> list[float | str]:
    return [r.value if isinstance(r, Figure) else r for r in rows]


def test_a_current_record_is_one_figure_per_module_against_the_90_percent_floor(tree: Tree) -> None:
    rows = tree.figures(quick=True)
    assert all(isinstance(r, Figure) for r in rows)
    alpha = rows[0]
    assert isinstance(alpha, Figure)
    assert "bot/alpha.py" in alpha.name
    assert alpha.value == pytest.approx(96.94)  # 95 of 98 non-equivalent
    assert alpha.target == 90.0
    assert alpha.higher_is_better
    assert alpha.ratio < 1
    assert "95 of 98 killed, 3 survived, 2 equivalent of 100" in alpha.note
    assert "2026-11-30 at 0123456" in alpha.note
    assert tree.reruns == []


def test_a_score_under_the_floor_misses_its_target(tree: Tree) -> None:
    tree.record("bot/beta.py", killed=80)
    beta = tree.figures(quick=True)[1]
    assert isinstance(beta, Figure)
    assert beta.ratio > 1


def test_quick_run_shows_a_module_whose_source_changed_as_a_failed_row_not_its_old_score(tree: Tree) -> None:
    tree.write("bot/beta.py", "def f():\n    return None\n")
    alpha, beta = tree.figures(quick=True)
    assert isinstance(alpha, Figure)
    assert isinstance(beta, str)
    assert "bot/beta.py" in beta
    assert "its source changed since the run of 2026-11-30 at 0123456789" in beta
    assert "python bench/mutation.py bot/beta.py" in beta
    assert "96.94" not in beta
    assert tree.reruns == []  # a quick run never mutates


def test_an_edited_test_file_makes_the_record_stale(tree: Tree) -> None:
    tree.write("tests/test_alpha.py", "def test_f():\n    assert 1\n")
    alpha, _ = tree.figures(quick=True)
    assert isinstance(alpha, str)
    assert "its tests changed since" in alpha


def test_a_deleted_test_file_is_named(tree: Tree) -> None:
    (tree.root / "tests/test_alpha.py").unlink()
    alpha, _ = tree.figures(quick=True)
    assert isinstance(alpha, str)
    assert "tests/test_alpha.py gone" in alpha


def test_a_test_file_the_run_did_not_use_leaves_the_record_current(tree: Tree) -> None:
    tree.write("tests/test_other.py", "def test_g():\n    assert True\n")
    tree.write("tests/test_beta.py", "def test_f():\n    assert 2\n")
    alpha, beta = tree.figures(quick=True)
    assert isinstance(alpha, Figure)
    assert isinstance(beta, str)


def test_changing_a_modules_listed_equivalents_makes_only_that_module_stale(tree: Tree) -> None:
    with tree.equivalents.open("a", encoding="utf-8") as f:
        f.write("- `bot.beta.x_f` `return None` — an example entry\n")
    alpha, beta = tree.figures(quick=True)
    assert isinstance(alpha, Figure)
    assert isinstance(beta, str)
    assert "its listed equivalents changed" in beta


def test_rewording_an_equivalents_reason_keeps_the_record(tree: Tree) -> None:
    text = tree.equivalents.read_text("utf-8").replace("is not read", "is never read")
    tree.equivalents.write_text(text, "utf-8")
    assert all(isinstance(r, Figure) for r in tree.figures(quick=True))


def test_every_change_is_named_when_several_happened(tree: Tree) -> None:
    tree.write("bot/alpha.py", "def f():\n    return 1\n")
    tree.write("tests/test_alpha.py", "def test_f():\n    assert 1\n")
    alpha, _ = tree.figures(quick=True)
    assert isinstance(alpha, str)
    assert "its source changed and its tests changed since" in alpha


def test_a_module_never_recorded_is_a_failed_row_in_a_quick_run(tree: Tree) -> None:
    tree.results.write_text('{"modules": {}}\n', "utf-8")
    rows = tree.figures(quick=True)
    assert [("never recorded" in r) if isinstance(r, str) else r for r in rows] == [True, True]


def test_full_run_re_runs_exactly_the_stale_modules_and_reports_their_new_score(tree: Tree) -> None:
    tree.write("bot/beta.py", "def f():\n    return None\n")
    rows = tree.figures(quick=False)
    assert tree.reruns == [["bot/beta.py"]]
    assert scores(rows) == [pytest.approx(96.94), pytest.approx(100.0)]  # beta's new run: 98 of 98
    assert mutation_record.load(tree.results)["bot/beta.py"].killed == 98


def test_full_run_told_not_to_mutate_shows_the_stale_module_as_a_failed_row(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMINUS_MUTATION_RERUN", "0")
    tree.write("bot/beta.py", "def f():\n    return None\n")
    rows = tree.figures(quick=False)
    assert tree.reruns == []
    assert isinstance(rows[1], str)
    assert "its source changed" in rows[1]


def test_full_run_with_every_record_current_mutates_nothing(tree: Tree) -> None:
    tree.figures(quick=False)
    assert tree.reruns == []


def test_full_run_whose_re_run_leaves_a_module_stale_still_shows_no_old_number(tree: Tree) -> None:
    tree.write("bot/alpha.py", "def f():\n    return 2\n")
    rows = figures(
        False,
        modules=MODULES,
        root=tree.root,
        results=tree.results,
        equivalents=tree.equivalents,
        rerun=lambda modules: None,  # the run failed before recording
    )
    assert isinstance(rows[0], str)
    assert "its source changed" in rows[0]


def test_recorded_modules_beyond_the_default_ones_are_reported_too(tree: Tree) -> None:
    tree.write("bot/gamma.py", "x = 1\n")
    tree.write("tests/test_gamma.py", "def test_x():\n    assert True\n")
    tree.record("bot/gamma.py", killed=50, total=50, equivalent=0)
    rows = tree.figures(quick=True)
    assert len(rows) == 3
    assert isinstance(rows[2], Figure)
    assert "bot/gamma.py" in rows[2].name


def test_the_results_file_round_trips_and_is_stable(tree: Tree) -> None:
    before = tree.results.read_text("utf-8")
    mutation_record.save(mutation_record.load(tree.results), tree.results)
    assert tree.results.read_text("utf-8") == before
    assert list(mutation_record.load(tree.results)) == ["bot/alpha.py", "bot/beta.py"]


def test_each_committed_record_has_a_score_that_matches_its_counts() -> None:
    records = mutation_record.load()
    assert records
    for rec in records.values():
        assert rec.killed + rec.survived + rec.equivalent == rec.total, rec.module
        assert rec.score == pytest.approx(100 * rec.killed / (rec.total - rec.equivalent), abs=0.01), rec.module
        assert rec.tests, rec.module
