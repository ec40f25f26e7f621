"""Docker Hub counts every manifest GET as a pull: with PL404 on, pulllint HEADs the tag and reads the
platform list by digest from its cache, so each digest costs one GET ever (httpx.MockTransport)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx

from pulllint.model.facts import Platform, Status
from pulllint.registry import RegistrySettings, resolve

from .conftest import query

INDEX = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "1" * 64,
             "size": 1, "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "2" * 64,
             "size": 1, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    }
).encode()  # fmt: skip
INDEX_DIGEST = "sha256:" + hashlib.sha256(INDEX).hexdigest()
CHALLENGE = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'


class Hub:
    """Docker Hub's shape: a token realm, and tags 1.27 and 1.27.0 naming the same index."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "auth.docker.io":
            return httpx.Response(200, json={"token": "anonymous-token", "expires_in": 300})
        if request.url.path == "/v2/":
            return httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE})
        headers = {
            "Docker-Content-Digest": INDEX_DIGEST,
            "Content-Type": "application/vnd.oci.image.index.v1+json",
        }
        body = b"" if request.method == "HEAD" else INDEX
        return httpx.Response(200, headers=headers, content=body)

    def manifest_requests(self) -> list[str]:
        return [
            f"{r.method} {r.url.path.rsplit('/', 1)[-1]}"
            for r in self.requests
            if "/manifests/" in r.url.path
        ]


def test_pl404_costs_one_manifest_get_per_digest_ever(tmp_path: Path) -> None:
    settings = RegistrySettings(cache_dir=str(tmp_path / "c"), use_docker_config=False, tag_ttl_seconds=0)
    first = Hub()
    q = query("nginx:1.27", platform="linux/arm64")
    facts = resolve([q], settings, transport=first.transport)[q]
    assert facts.status is Status.FOUND
    assert facts.platforms == (Platform("linux", "amd64"), Platform("linux", "arm64", "v8"))
    assert [str(m.chosen) for m in facts.platform_matches] == ["linux/arm64/v8"]
    # A HEAD of the tag (not counted), then one GET by digest (counted once).
    assert first.manifest_requests() == ["HEAD 1.27", f"GET {INDEX_DIGEST}"]

    # Tag answers are not cached here (TTL 0): the next run asks again, but the digest is known.
    again = Hub()
    other_tag = query("nginx:1.27.0", platform="linux/amd64")
    result = resolve([q, other_tag], settings, transport=again.transport)
    assert sorted(again.manifest_requests()) == ["HEAD 1.27", "HEAD 1.27.0"]  # no GET at all
    assert [str(m.chosen) for m in result[other_tag].platform_matches] == ["linux/amd64"]


def test_other_registries_answer_platforms_with_one_get(tmp_path: Path) -> None:
    """Elsewhere a GET is not a pull: one request instead of HEAD then GET."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200, json={})
        headers = {
            "Docker-Content-Digest": INDEX_DIGEST,
            "Content-Type": "application/vnd.oci.image.index.v1+json",
        }
        return httpx.Response(200, headers=headers, content=b"" if request.method == "HEAD" else INDEX)

    seen: list[str] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request.method + " " + request.url.path)
        return handler(request)

    settings = RegistrySettings(cache_dir=str(tmp_path / "c"), use_docker_config=False)
    q = query("quay.io/team/app:1.0", platform="linux/amd64")
    facts = resolve([q], settings, transport=httpx.MockTransport(recording))[q]
    assert facts.status is Status.FOUND and facts.extra["manifest_kind"] == "index"
    assert seen == ["GET /v2/", "GET /v2/team/app/manifests/1.0"]


def test_pods_pinning_different_platforms_share_one_fetch(tmp_path: Path) -> None:
    settings = RegistrySettings(cache_dir=str(tmp_path / "c"), use_docker_config=False)
    hub = Hub()
    arm = query("nginx:1.27", platform="linux/arm64")
    amd = query("nginx:1.27", platform="linux/amd64")
    s390x = query("nginx:1.27", platform="linux/s390x")
    result = resolve([arm, amd, s390x], settings, transport=hub.transport)
    assert hub.manifest_requests() == ["HEAD 1.27", f"GET {INDEX_DIGEST}"]  # one fetch for the three
    assert [str(m.chosen) for m in result[arm].platform_matches] == ["linux/arm64/v8"]
    assert [str(m.chosen) for m in result[amd].platform_matches] == ["linux/amd64"]
    assert [m.chosen for m in result[s390x].platform_matches] == [None]
