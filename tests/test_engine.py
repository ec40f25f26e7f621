"""The engine: batching must not change any result, and Secret findings are reported once."""

from __future__ import annotations

from pulllint.config import Config
from pulllint.engine import run
from pulllint.rules import all_rules
from tests.conftest import FIXTURES


def test_batch_size_does_not_change_results() -> None:
    every_rule = Config(select=tuple(all_rules()))
    paths = [str(FIXTURES)]
    one = run(paths, every_rule, offline=True, batch_documents=1)
    many = run(paths, every_rule, offline=True, batch_documents=10_000)
    assert one.diagnostics == many.diagnostics
    assert (one.files, one.documents, one.images) == (many.files, many.documents, many.images)
    assert one.diagnostics, "the fixtures have findings"
