"""The 47 real messages of tests/data/kubelet-errors.tsv: each gets the cause its category allows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pulllint.cli import main
from pulllint.diagnose import CAUSE_RULES, classify, diagnose_text
from tests.conftest import ROOT, shared_path

TABLE = ROOT / "tests" / "data" / "kubelet-errors.tsv"

# The reporter-side category -> the causes (and classes) consistent with it. Docker Hub answers a missing
# and a private repository alike, so "pull access denied" is repository-not-found for both categories.
CONSISTENT: dict[str, set[str]] = {
    "typo/not-found": {"tag-not-found", "repository-not-found"},
    "auth-missing": {"no-credentials", "cloud-identity", "repository-not-found"},
    "auth-denied": {"credentials-refused", "cloud-identity"},
    "rate-limit": {"rate-limited"},
    "network": {"unreachable"},
    "tls": {"unreachable"},
    "platform": {"platform-missing"},
    "invalid-reference": {"invalid-reference"},
    "other": {"never-pull", "disk-pressure", "unknown"},
}
CLASSES = {
    "network": {"timeout", "dns", "refused", "no-route", "connection-reset"},
    "tls": {"tls", "http-on-https"},
}
RUNTIMES = {"docker": "docker", "containerd": "containerd", "cri-o": "cri-o", "any": "kubelet"}


def _rows() -> list[dict[str, str]]:
    lines = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


ROWS = _rows()


def test_the_table_holds_the_47_messages_with_their_provenance() -> None:
    assert len(ROWS) == 47
    assert all(row["source"] and "#" in row["source"] for row in ROWS)
    assert {row["category"] for row in ROWS} == set(CONSISTENT)


@pytest.mark.parametrize("row", ROWS, ids=[f"{i + 1}-{r['category']}" for i, r in enumerate(ROWS)])
def test_every_message_gets_a_cause_consistent_with_its_category(row: dict[str, str]) -> None:
    result = classify(row["message"])
    assert result.cause in CONSISTENT[row["category"]]
    if row["category"] in CLASSES:
        assert result.klass in CLASSES[row["category"]]
    assert (result.cause, result.klass or "") == (row["cause"], row["class"])
    assert result.rule == CAUSE_RULES[row["cause"]]
    assert result.runtime == row["runtime"]


def test_the_runtime_family_never_contradicts_the_reporter() -> None:
    for row in ROWS:
        runtime = classify(row["message"]).runtime
        family = next((v for k, v in RUNTIMES.items() if row["reported_runtime"].startswith(k)), None)
        assert family is not None
        assert runtime in (family, "unknown")


def test_counts_by_cause() -> None:
    counts: dict[str, int] = {}
    for row in ROWS:
        cause = classify(row["message"]).cause
        counts[cause] = counts.get(cause, 0) + 1
    assert counts == {
        "tag-not-found": 5,
        "repository-not-found": 4,
        "no-credentials": 4,
        "cloud-identity": 5,
        "credentials-refused": 2,
        "rate-limited": 4,
        "unreachable": 9,
        "platform-missing": 5,
        "invalid-reference": 5,
        "never-pull": 2,
        "unknown": 2,
    }


def test_every_diagnosis_has_an_explanation_a_fix_and_a_triage_command() -> None:
    text = "\n".join(row["message"] for row in ROWS) + "\n"
    diagnoses = diagnose_text(text, "corpus.txt")
    assert [d.line for d in diagnoses] == list(range(1, 48))
    for d in diagnoses:
        assert d.explanation and d.triage and d.fix
        if d.cause == "unknown":
            assert "Message: " in d.explanation  # the raw message is kept
        else:
            assert d.rule == CAUSE_RULES[d.cause]


def test_the_corpus_as_one_file_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "messages.txt"
    path.write_text("\n".join(row["message"] for row in ROWS) + "\n", encoding="utf-8")
    assert main(["diagnose", "--format", "json", str(path)]) == 1  # two messages name no cause
    report = json.loads(capsys.readouterr().out)
    assert [d["cause"] for d in report["diagnoses"]] == [row["cause"] for row in ROWS]


def test_the_project_table_matches_the_shared_corpus() -> None:
    shared = shared_path("corpus", "kubelet-errors.tsv")
    with shared.open(encoding="utf-8") as handle:
        original = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert [(r["message"], r["cause_category"], r["source"]) for r in original] == [
        (r["message"], r["category"], r["source"]) for r in ROWS
    ]
