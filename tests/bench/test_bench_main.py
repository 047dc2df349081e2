"""``python -m bench``: every benchmark module joins the one table, with its target and ratio."""

from __future__ import annotations

import importlib

import pytest

from bench.__main__ import main, modules, run_isolated, table
from bench.figures import Figure


def test_every_benchmark_module_reports_figures_to_the_table() -> None:
    names = modules()
    assert {
        "bench_extract",
        "bench_repository",
        "bench_sync",
        "bench_cold_start",
        "bench_startup",
        "bench_freshness",
        "bench_commands",
        "bench_alerts",
        "bench_browse",
    } <= set(names)
    for name in names:
        assert callable(getattr(importlib.import_module(f"bench.{name}"), "figures", None)), name


def test_ratio_is_below_one_within_target_whichever_way_the_target_points() -> None:
    assert Figure("p99", 1.5, "ms", 3000).ratio == pytest.approx(0.0005)
    assert Figure("mutation score", 0.8, "", 0.7, higher_is_better=True).ratio == pytest.approx(0.875)
    assert Figure("mutation score", 0.5, "", 0.7, higher_is_better=True).ratio > 1
    assert Figure("x", 0.0, "", 0.7, higher_is_better=True).ratio == float("inf")
    assert Figure("send - due", -0.4, "s", 0.1, signed=True).ratio == 0  # early is within, not a negative ratio
    assert Figure("send - due", 0.05, "s", 0.1, signed=True).ratio == pytest.approx(0.5)


def test_table_has_a_row_per_figure_and_says_which_module_failed() -> None:
    rows = [("bench_a", Figure("p99", 1.5, "ms", 3000, note="n=200")), ("bench_b", "RuntimeError: boom")]
    text = table(rows, "2026-11-30").splitlines()
    assert text[0] == "| figure | value | target | ratio | date |"
    assert text[2] == "| p99 (n=200) | 1.50 ms | ≤ 3,000 ms | 0.0005 | 2026-11-30 |"
    assert text[3] == "| `bench_b` | failed: RuntimeError: boom | | | 2026-11-30 |"


def test_a_quick_run_prints_the_markdown_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "repository", "--quick"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("| figure |")
    assert len(out) == 4  # header, rule, the module's two figures
    assert all(line.endswith("|") and line.count("|") == 6 for line in out)


def test_an_unknown_module_name_is_refused() -> None:
    with pytest.raises(SystemExit, match="no benchmark module bench_nope"):
        modules(["nope"])


def test_each_module_runs_in_its_own_process_and_its_figures_come_back_whole() -> None:
    figures = run_isolated("bench_repository", quick=True)
    assert len(figures) == 2
    assert all(isinstance(f, Figure) and f.value > 0 and f.target > 0 for f in figures)


def test_a_module_that_fails_in_its_process_gives_one_row_saying_why() -> None:
    (row,) = run_isolated("bench_no_such_module", quick=True)
    assert isinstance(row, str)
    assert "ModuleNotFoundError" in row
