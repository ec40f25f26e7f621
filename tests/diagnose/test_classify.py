"""The cause table on the message shapes of each runtime family (Docker, containerd, CRI-O, old gRPC and the
kubelet's own), including the shapes that must stay `unknown` rather than get a confident wrong cause."""

from __future__ import annotations

import pytest

from pulllint.diagnose import classify

D = "Error response from daemon: "
C = 'failed to pull and unpack image "{0}": failed to resolve reference "{0}": '

CASES: list[tuple[str, str, str | None, str]] = [
    # message, cause, class, runtime
    # -- invalid reference, never pull (the kubelet's own)
    (
        'Failed to apply default image tag "Shop/Web:1": couldn\'t parse image reference "Shop/Web:1": '
        "invalid reference format: repository name (Shop/Web) must be lowercase",
        "invalid-reference",
        None,
        "kubelet",
    ),
    ("InvalidImageName", "invalid-reference", None, "kubelet"),
    (D + "invalid reference format", "invalid-reference", None, "docker"),
    ('Container image "app:dev" is not present with pull policy of Never', "never-pull", None, "kubelet"),
    ("Error: ErrImageNeverPull", "never-pull", None, "kubelet"),
    # -- tag not found
    (
        D + "manifest for nginx:1.99 not found: manifest unknown: manifest unknown",
        "tag-not-found",
        None,
        "docker",
    ),
    ("Tag 1.99 not found in repository docker.io/library/nginx", "tag-not-found", None, "docker"),
    ("Error: image library/nginx:1.99 not found", "tag-not-found", None, "docker"),
    (
        "rpc error: code = NotFound desc = "
        + C.format("docker.io/library/nginx:1.99")
        + "docker.io/library/nginx:1.99: not found",
        "tag-not-found",
        None,
        "containerd",
    ),
    (
        'failed to pull and unpack image "docker.io/library/nginx:1.99": failed to resolve image: '
        "docker.io/library/nginx:1.99: not found",
        "tag-not-found",
        None,
        "containerd",
    ),
    (
        "initializing source docker://nginx:1.99: reading manifest 1.99 in docker.io/library/nginx: "
        "manifest unknown",
        "tag-not-found",
        None,
        "cri-o",
    ),
    (
        D + "manifest for 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:9 not found: manifest unknown: "
        "Requested image not found",
        "tag-not-found",
        None,
        "docker",
    ),
    ("rpc error: code = 2 desc = manifest unknown: manifest unknown", "tag-not-found", None, "unknown"),
    # -- repository not found
    (
        D + "pull access denied for acme/nope, repository does not exist or may require 'docker login': "
        "denied: requested access to the resource is denied",
        "repository-not-found",
        "missing-or-private",
        "docker",
    ),
    (
        C.format("docker.io/acme/nope:1") + "pull access denied, repository does not exist or may require "
        "authorization: server message: insufficient_scope: authorization failed",
        "repository-not-found",
        "missing-or-private",
        "containerd",
    ),
    (
        "reading manifest latest in docker.io/acme/nope: errors: denied: requested access to the resource is "
        "denied unauthorized: authentication required",
        "repository-not-found",
        "missing-or-private",
        "cri-o",
    ),
    (
        "reading manifest 1 in quay.io/acme/nope: unauthorized: access to the requested resource is not "
        "authorized",
        "repository-not-found",
        "missing-or-private",
        "cri-o",
    ),
    (
        D + "repository 123456789012.dkr.ecr.us-east-1.amazonaws.com/nope not found: name unknown: The "
        "repository with name 'nope' does not exist in the registry with id '123456789012'",
        "repository-not-found",
        "name-unknown",
        "docker",
    ),
    (
        "reading manifest 1.0 in registry.example.com/nope: name unknown: repository name not known "
        "to registry",
        "repository-not-found",
        "name-unknown",
        "cri-o",
    ),
    (
        "repository docker.io/acme/nope not found: does not exist or no pull access",
        "repository-not-found",
        "missing-or-private",
        "docker",
    ),
    # -- no credentials / refused
    (
        D + 'Get "https://nexus.example:8443/v2/app/manifests/1": no basic auth credentials',
        "no-credentials",
        None,
        "docker",
    ),
    (
        C.format("ghcr.io/acme/app:1") + "failed to authorize: failed to fetch anonymous token: unexpected "
        "status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fapp%3Apull: 403 "
        "Forbidden",
        "no-credentials",
        None,
        "containerd",
    ),
    (
        C.format("docker.io/acme/app:1") + "failed to authorize: failed to fetch oauth token: unexpected "
        "status from POST request to https://auth.docker.io/token: 401 Unauthorized",
        "credentials-refused",
        None,
        "containerd",
    ),
    (
        D + 'Get "https://registry-1.docker.io/v2/": unauthorized: incorrect username or password',
        "credentials-refused",
        None,
        "docker",
    ),
    (
        "initializing source docker://registry.example.com/app:1: unable to retrieve auth token: invalid "
        "username/password: unauthorized: authentication required",
        "credentials-refused",
        None,
        "cri-o",
    ),
    # -- cloud identity
    (
        D + "pull access denied for 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app, repository does not "
        "exist or may require 'docker login': denied: Your authorization token has expired. Reauthenticate "
        "and try again.",
        "cloud-identity",
        "ecr-token-expired",
        "docker",
    ),
    (
        C.format("myacr.azurecr.io/app:1")
        + "failed to authorize: failed to fetch anonymous token: unexpected "
        "status from GET request to https://myacr.azurecr.io/oauth2/token?scope=repository%3Aapp%3Apull: "
        "401 Unauthorized",
        "cloud-identity",
        "acr",
        "containerd",
    ),
    (
        C.format("europe-west1-docker.pkg.dev/proj/repo/app:1")
        + "failed to authorize: failed to fetch oauth "
        "token: unexpected status from GET request to https://europe-west1-docker.pkg.dev/v2/token: "
        "403 Forbidden",
        "cloud-identity",
        "artifact-registry",
        "containerd",
    ),
    (
        "Error response from daemon: Head "
        '"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/1"'
        ": denied: User: arn:aws:sts::123456789012:assumed-role/nodes/i-0abc is not authorized to perform: "
        "ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/app",
        "cloud-identity",
        "ecr",
        "docker",
    ),
    # -- platform
    (
        "choosing an image from manifest list docker://acme/tool:1: no image found in image index for "
        'architecture "arm64", variant "v8", OS "linux"',
        "platform-missing",
        "linux/arm64/v8",
        "cri-o",
    ),
    (
        D + "no matching manifest for linux/arm64/v8 in the manifest list entries",
        "platform-missing",
        "linux/arm64/v8",
        "docker",
    ),
    (
        'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/acme/tool:1": no match '
        "for platform in manifest: not found",
        "platform-missing",
        None,
        "containerd",
    ),
    # -- rate limits
    (
        "reading manifest latest in docker.io/library/busybox: toomanyrequests: You have reached "
        "your pull rate "
        "limit. You may increase the limit by authenticating and upgrading: "
        "https://www.docker.com/increase-rate-limit",
        "rate-limited",
        "docker-hub",
        "cri-o",
    ),
    (
        C.format("quay.io/acme/app:1") + "unexpected status from HEAD request to https://quay.io/v2/acme/app/"
        "manifests/1: 429 Too Many Requests",
        "rate-limited",
        None,
        "containerd",
    ),
    # -- unreachable
    (
        D + 'Get "https://registry-1.docker.io/v2/": net/http: request canceled while waiting for connection '
        "(Client.Timeout exceeded while awaiting headers)",
        "unreachable",
        "timeout",
        "docker",
    ),
    (D + 'Get "https://k8s.gcr.io/v2/": net/http: TLS handshake timeout', "unreachable", "timeout", "docker"),
    (
        "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
        "unreachable",
        "timeout",
        "unknown",
    ),
    (
        "initializing source docker://registry.example.com/app:1: pinging container registry "
        'registry.example.com: Get "https://registry.example.com/v2/": dial tcp: lookup registry.example.com '
        "on 10.0.0.2:53: no such host",
        "unreachable",
        "dns",
        "cri-o",
    ),
    (
        C.format("harbor.example/app:1")
        + 'failed to do request: Head "https://harbor.example/v2/app/manifests/1"'
        ": tls: failed to verify certificate: x509: certificate is valid for ingress.local, not "
        "harbor.example",
        "unreachable",
        "tls",
        "containerd",
    ),
    (
        'pinging container registry 10.0.0.5:5000: Get "https://10.0.0.5:5000/v2/": http: server gave HTTP '
        "response to HTTPS client",
        "unreachable",
        "http-on-https",
        "cri-o",
    ),
    (
        C.format("registry.local/app:1")
        + 'failed to do request: Head "https://registry.local/v2/app/manifests/1"'
        ": proxyconnect tcp: dial tcp 10.0.0.1:3128: connect: connection refused",
        "unreachable",
        "refused",
        "containerd",
    ),
    (
        D + 'Get "https://10.1.2.3:5000/v2/": dial tcp 10.1.2.3:5000: connect: no route to host',
        "unreachable",
        "no-route",
        "docker",
    ),
    (D + "received unexpected HTTP status: 503 Service Unavailable", "unreachable", "status-503", "docker"),
    (
        D + 'Get "https://registry.example.com/v2/": Service Unavailable',
        "unreachable",
        "status-503",
        "docker",
    ),
    (
        C.format("registry.example.com/app:1")
        + 'failed to do request: Head "https://registry.example.com/v2/app/'
        'manifests/1": EOF',
        "unreachable",
        "connection-reset",
        "containerd",
    ),
    (D + "unknown: repository library/nope not found", "repository-not-found", "name-unknown", "docker"),
    (D + "unknown: artifact library/app:9 not found", "tag-not-found", None, "docker"),
    # -- node disk
    (
        C.format("docker.io/library/postgres:16")
        + "failed to extract layer sha256:0a: write /var/lib/containerd"
        "/tmpmounts/x/usr/lib/libpq.so: no space left on device: unknown",
        "disk-pressure",
        None,
        "containerd",
    ),
    # -- must stay unknown: no cause in the message, or a cause outside the table
    ('Back-off pulling image "nginx:1.27"', "unknown", None, "kubelet"),
    ("Error: ImagePullBackOff", "unknown", None, "kubelet"),
    (
        'Failed to pull image "x:1": rpc error: code = Canceled desc = context canceled',
        "unknown",
        None,
        "unknown",
    ),
    ('Failed to pull image "nginx:1.27": pull QPS exceeded', "unknown", None, "unknown"),
    (
        C.format("docker.io/library/nginx:1.27")
        + "failed to extract layer sha256:1f: mkdir /var/lib/containerd"
        "/io.containerd.snapshotter.v1.overlayfs/snapshots/9: permission denied: unknown",
        "unknown",
        None,
        "containerd",
    ),
    (
        'failed to pull and unpack image "docker.io/library/nginx:1.27": failed to copy: '
        "httpReadSeeker: failed "
        "open: content at https://registry-1.docker.io/v2/library/nginx/blobs/sha256:2d not found: not found",
        "unknown",
        None,
        "containerd",
    ),
    (
        'short-name "nginx" did not resolve to an alias and no unqualified-search registries are defined in '
        '"/etc/containers/registries.conf"',
        "unknown",
        None,
        "cri-o",
    ),
    ("Source image rejected: A signature was required, but no signature exists", "unknown", None, "cri-o"),
    (
        'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing '
        'dial unix /run/containerd/containerd.sock: connect: connection refused"',
        "unknown",
        None,
        "unknown",
    ),
    (
        "choosing an image from manifest list docker://acme/tool:1: parsing manifest list: unexpected end of "
        "JSON input",
        "unknown",
        None,
        "cri-o",
    ),
    (
        "image pull failed for gcr.io/x/y:1, this may be because there are no credentials on this request.  "
        "details: (unexpected EOF)",
        "unknown",
        None,
        "docker",
    ),
]


@pytest.mark.parametrize(
    ("message", "cause", "klass", "runtime"), CASES, ids=[f"{i}-{c[1]}" for i, c in enumerate(CASES)]
)
def test_message_shapes(message: str, cause: str, klass: str | None, runtime: str) -> None:
    result = classify(message)
    assert (result.cause, result.klass, result.runtime) == (cause, klass, runtime)


def test_every_cause_of_the_table_is_exercised() -> None:
    from pulllint.diagnose import CAUSES

    assert {case[1] for case in CASES} == set(CAUSES)


def test_aks_multi_attempt_message_is_read_whole() -> None:
    # The first attempt (with the kubelet identity) got an answer: the tag does not exist; the anonymous
    # second attempt was refused. The furthest attempt decides.
    image = "myacr.azurecr.io/team/api:v7"
    message = (
        f'Failed to pull image "{image}": [rpc error: code = NotFound desc = {C.format(image)}{image}: not '
        f"found, rpc error: code = Unknown desc = {C.format(image)}failed to authorize: failed to fetch "
        "anonymous token: unexpected status from GET request to https://myacr.azurecr.io/oauth2/token: 401 "
        "Unauthorized]"
    )
    result = classify(message)
    assert result.cause == "tag-not-found"
    assert result.attempts == ("tag-not-found", "cloud-identity")
    assert result.image == image


def test_multi_attempt_message_without_a_known_attempt_stays_unknown() -> None:
    message = "[rpc error: code = Unknown desc = something odd, rpc error: code = Unknown desc = also odd]"
    assert classify(message).cause == "unknown"


def test_the_dns_failure_beats_the_old_no_credentials_hint() -> None:
    message = (
        'Failed to pull image "gcr.io/google_containers/pause:3.0": image pull failed for '
        "gcr.io/google_containers"
        "/pause:3.0, this may be because there are no credentials on this request.  details: (Get "
        "https://gcr.io/v2/: dial tcp: lookup gcr.io: Temporary failure in name resolution)"
    )
    assert (classify(message).cause, classify(message).klass) == ("unreachable", "dns")


def test_a_daemon_api_500_is_not_a_registry_server_error() -> None:
    message = "API error (500): Get https://nexus.example/v2/app/manifests/1: no basic auth credentials\\n"
    assert classify(message).cause == "no-credentials"


def test_public_projects_of_cloud_hosts_are_not_cloud_identity() -> None:
    # gcr.io/google-containers is Google's public project: a refusal there is not the node's IAM.
    message = 'Failed to pull image "gcr.io/google-containers/pause:3.1": unexpected status: 403 Forbidden'
    assert classify(message).cause == "credentials-refused"


def test_the_image_the_caller_knows_wins() -> None:
    result = classify("Error: ErrImagePull", "registry.example.com/app:1")
    assert result.image == "registry.example.com/app:1"
    assert result.host == "registry.example.com"
