"""PL105 and the host table agree on what a loopback registry is."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulllint.config import Config
from pulllint.engine import run
from pulllint.images import parse_image
from pulllint.model.hosts import HostKind, builtin_host_info


@pytest.mark.parametrize(
    ("image", "local"),
    [
        ("localhost:5000/app:1.0", True),
        ("127.0.0.1:5000/app:1.0", True),
        ("127.0.0.2:5000/app:1.0", True),
        ("[::1]:5000/app:1.0", True),
        ("[::1]/app:1.0", True),
        ("128.0.0.1:5000/app:1.0", False),
        ("10.0.0.1:5000/app:1.0", False),
        ("[::2]:5000/app:1.0", False),
    ],
)
def test_never_is_left_alone_exactly_for_loopback_registries(tmp_path: Path, image: str, local: bool) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        f'    - name: a\n      image: "{image}"\n      imagePullPolicy: Never\n',
        encoding="utf-8",
    )
    ref = parse_image(image)
    assert (builtin_host_info(ref.domain, ref.path).kind is HostKind.LOCAL) is local
    findings = run([str(manifest)], Config(select=("PL105",)), offline=True).diagnostics
    assert [(d.code, d.line, d.column) for d in findings] == ([] if local else [("PL105", 8, 24)])
