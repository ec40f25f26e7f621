"""Tag verdicts agree with peer linters on their own fixtures (skipped without ../shared).

checkov CKV_K8S_14, kube-linter latest-tag, kube-score "Container Image Tag" and Polaris
tagNotSpecified fail an image exactly when PL102 or PL103 reports it; checkov CKV_K8S_43 (digest
required) exactly when PL106 does. Pull-policy checks differ on purpose (see `pulllint rule PL105`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pulllint.config import Config
from pulllint.engine import run
from tests.conftest import shared_path

_TAG_CHECKS = {"CKV_K8S_14", "latest-tag", "Container Image Tag", "tagNotSpecified"}
_CODES_FOR = {**{check: ("PL102", "PL103") for check in _TAG_CHECKS}, "CKV_K8S_43": ("PL106",)}


def _rows() -> list[dict[str, str]]:
    path = shared_path("corpus", "peer-fixtures", "expectations.tsv")
    with path.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t") if row["check"] in _CODES_FOR]


def test_peer_tag_verdicts_agree() -> None:
    corpus = shared_path("corpus")
    rows = _rows()
    assert len(rows) >= 20
    disagreements = []
    for row in rows:
        codes = _CODES_FOR[row["check"]]
        path = Path(corpus, row["file"])
        result = run([str(path)], Config(select=("PL1", "PL106")), offline=True)
        images = {image.strip() for image in row["images"].split(",")}
        flagged = any(d.code in codes and d.image in images for d in result.diagnostics)
        if flagged != (row["expected"] == "FAILED"):
            disagreements.append(
                f"{row['tool']} {row['check']} {row['file']} {row['images']}: {row['expected']}"
            )
    assert disagreements == []


def test_corpus_runs_without_tracebacks_and_every_image_is_located() -> None:
    manifests = shared_path("corpus", "manifests")
    result = run([str(manifests)], Config(), offline=True)
    assert result.files > 50 and result.documents > 2000
    for diagnostic in result.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.column >= 1
        if diagnostic.image is not None:
            line = Path(diagnostic.path).read_text(encoding="utf-8").splitlines()[diagnostic.line - 1]
            # PL105 points at the conflicting imagePullPolicy, every other image finding at the image.
            assert (diagnostic.image if diagnostic.code != "PL105" else "imagePullPolicy") in line, diagnostic
    if not result.diagnostics:
        pytest.fail("the corpus has real latest tags; nothing was reported")
