"""Pull secrets as the kubelet reads them: decoding, a pod's effective secrets, effective_credentials."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pulllint.engine import load_manifests
from pulllint.model.objects import Container, Manifests
from pulllint.model.pullsecrets import (
    ClusterKnowledge,
    CredentialVerdict,
    DecodedSecret,
    PullSecretIndex,
    SecretIndex,
    decode_secret,
    effective_credentials,
)


def b64(text: str, *, padded: bool = True) -> str:
    encoded = base64.b64encode(text.encode()).decode()
    return encoded if padded else encoded.rstrip("=")


def load(tmp_path: Path, text: str) -> Manifests:
    path = tmp_path / "input.yaml"
    path.write_text(text, encoding="utf-8")
    return load_manifests([str(path)])


def secret_yaml(
    payload: str, *, secret_type: str = "kubernetes.io/dockerconfigjson", key: str = "", section: str = "data"
) -> str:
    key = key or (".dockercfg" if secret_type.endswith("dockercfg") else ".dockerconfigjson")
    value = json.dumps(payload)  # a YAML double-quoted scalar is a JSON string
    return f"""apiVersion: v1
kind: Secret
metadata:
  name: regcred
  namespace: prod
type: {secret_type}
{section}:
  {key}: {value}
"""


def decoded(tmp_path: Path, text: str) -> DecodedSecret:
    manifests = load(tmp_path, text)
    assert len(manifests.secrets) == 1
    return decode_secret(manifests.secrets[0])


def config(entries: dict[str, object]) -> str:
    return json.dumps({"auths": entries})


# --- decoding ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("padded", [True, False])
def test_data_base64_padded_or_not(tmp_path: Path, padded: bool) -> None:
    payload = config({"registry.example.com": {"auth": b64("robot:pw1")}})
    assert len(b64(payload)) != len(b64(payload, padded=False)), "the fixture needs padding"
    secret = decoded(tmp_path, secret_yaml(b64(payload, padded=padded)))
    assert secret.usable and not secret.problems
    (entry,) = secret.entries
    assert (entry.key, entry.credential.username, entry.credential.password) == (
        "registry.example.com",
        "robot",
        "pw1",
    )
    assert entry.credential.origin == "secret prod/regcred"


def test_data_base64_over_several_lines(tmp_path: Path) -> None:
    encoded = b64(config({"registry.example.com": {"username": "robot", "password": "pw"}}))
    folded = "\n".join(encoded[i : i + 20] for i in range(0, len(encoded), 20))
    secret = decoded(tmp_path, secret_yaml(folded))
    assert secret.usable and secret.entries[0].credential.password == "pw"


def test_string_data(tmp_path: Path) -> None:
    payload = config({"registry.example.com": {"username": "robot", "password": "pw"}})
    secret = decoded(tmp_path, secret_yaml(payload, section="stringData"))
    assert secret.entries[0].credential.username == "robot"


def test_string_data_wins_over_data(tmp_path: Path) -> None:
    text = secret_yaml(b64(config({"old.example.com": {"username": "a", "password": "b"}})))
    text += (
        f"stringData:\n  .dockerconfigjson: {json.dumps(config({'new.example.com': {'auth': b64('c:d')}}))}\n"
    )
    secret = decoded(tmp_path, text)
    assert secret.registry_keys == ("new.example.com",)


@pytest.mark.parametrize(
    ("entry", "username", "password"),
    [
        ({"auth": b64("robot:pw")}, "robot", "pw"),
        ({"auth": b64("robot:pw", padded=False)}, "robot", "pw"),
        ({"auth": b64("robot:p:w")}, "robot", "p:w"),  # split at the first colon
        ({"username": "robot", "password": "pw"}, "robot", "pw"),
        ({"username": "ignored", "password": "ignored", "auth": b64("robot:pw")}, "robot", "pw"),
        ({"Username": "robot", "PASSWORD": "pw"}, "robot", "pw"),  # Go's JSON keys are case-insensitive
        ({"username": "robot"}, "robot", ""),
        ({"auth": b64("robot:pw") + "\n"}, "robot", "pw"),  # Go skips newlines in base64
    ],
)
def test_entry_credentials(tmp_path: Path, entry: dict[str, str], username: str, password: str) -> None:
    secret = decoded(tmp_path, secret_yaml(config({"r.example.com": entry}), section="stringData"))
    assert secret.usable and not [p for p in secret.problems if p.fatal]
    credential = secret.entries[0].credential
    assert (credential.username, credential.password) == (username, password)


def test_legacy_dockercfg(tmp_path: Path) -> None:
    payload = json.dumps({"https://legacy.example.com": {"auth": b64("robot:pw"), "email": "a@b.c"}})
    secret = decoded(tmp_path, secret_yaml(b64(payload), secret_type="kubernetes.io/dockercfg"))
    assert secret.usable and secret.registry_keys == ("https://legacy.example.com",)


@pytest.mark.parametrize(
    ("text", "fragment", "fatal"),
    [
        (secret_yaml("not base64!"), "not valid base64", True),
        (secret_yaml('{"auths": {}}'), "plain JSON, not base64", True),
        (secret_yaml(b64(b64(config({})))), "base64-encoded twice", True),
        (secret_yaml(b64("{nope")), "not valid JSON", True),
        (secret_yaml(b64("[1, 2]")), "must be a JSON object, not an array", True),
        (secret_yaml(b64("")), "is empty", True),
        (secret_yaml(b64('{"registry.example.com": {"auth": "eDp5"}}')), "no auths", True),
        (secret_yaml(b64('{"auths": []}')), "auths must be a JSON object", True),
        (
            secret_yaml(b64(config({"r.example.com": "robot:pw"}))),
            "must be a JSON object, not a string",
            True,
        ),
        (secret_yaml(b64(config({"r.example.com": {"auth": "!!!"}}))), "auth of the entry", True),
        (secret_yaml(b64(config({"r.example.com": {"auth": b64("nocolon")}}))), "user:password", True),
        (secret_yaml(b64(config({"r.example.com": {"auth": b64("a:b") + " "}}))), "not valid base64", True),
        (secret_yaml(b64(config({"r.example.com": {"password": 5}}))), "must be a string", True),
        (
            secret_yaml(
                b64(json.dumps({"auths": {"r.example.com": {"auth": b64("a:b")}}})),
                secret_type="kubernetes.io/dockercfg",
            ),
            "holds an auths object",
            True,
        ),
        (secret_yaml(b64(config({"r.example.com": {}}))), "neither auth nor username/password", False),
        (secret_yaml(b64(config({"r.example.com": {"identitytoken": "t"}}))), "only identitytoken", False),
        (secret_yaml(b64(config({"exa mple.com": {"auth": b64("a:b")}}))), "not a valid registry URL", False),
        (secret_yaml(b64(config({})), secret_type="Opaque"), "has type Opaque", True),
        (secret_yaml(b64(config({})), key=".dockercfg"), "has no .dockerconfigjson key", True),
    ],
)
def test_problems(tmp_path: Path, text: str, fragment: str, fatal: bool) -> None:
    secret = decoded(tmp_path, text)
    assert [p.fatal for p in secret.problems] == [fatal], secret.problems
    assert fragment in secret.problems[0].message
    assert secret.usable is (not fatal and secret.is_docker_type)


def test_a_problem_is_at_the_value_or_the_type(tmp_path: Path) -> None:
    bad_value = decoded(tmp_path, secret_yaml("not base64!"))
    assert bad_value.problems[0].position.line == 8
    wrong_type = decoded(tmp_path, secret_yaml(b64(config({})), secret_type="Opaque"))
    assert wrong_type.problems[0].position.line == 6


def test_other_secrets_are_not_pull_secrets(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: app}\ntype: Opaque\nstringData: {password: x}\n"
    secret = decoded(tmp_path, text)
    assert not secret.problems and not secret.usable


# --- a pod's pull secrets ------------------------------------------------------------------------------

STREAM = """\
apiVersion: v1
kind: Secret
metadata: {name: a-registry, namespace: prod}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths": {"registry.example.com": {"username": "a", "password": "one"}}}'
---
apiVersion: v1
kind: Secret
metadata: {name: b-registry, namespace: prod}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: >-
    {"auths": {"registry.example.com": {"username": "b", "password": "two"},
    "registry.example.com/team": {"username": "c", "password": "three"}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: prod}
imagePullSecrets: [{name: b-registry}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default}
imagePullSecrets: [{name: a-registry}]
---
apiVersion: v1
kind: Pod
metadata: {name: own, namespace: prod}
spec:
  serviceAccountName: builder
  imagePullSecrets: [{name: a-registry}, {name: b-registry}, {name: a-registry}]
  containers:
    - {name: team, image: "registry.example.com/team/app:1"}
    - {name: other, image: "registry.example.com/other/app:1"}
    - {name: hub, image: "nginx:1.27"}
    - {name: invalid, image: "Registry.Example.com/X"}
---
apiVersion: v1
kind: Pod
metadata: {name: inherited, namespace: prod}
spec:
  serviceAccountName: builder
  containers:
    - {name: team, image: "registry.example.com/team/app:1"}
---
apiVersion: v1
kind: Pod
metadata: {name: default-account, namespace: prod}
spec:
  containers:
    - {name: app, image: "registry.example.com/app:1"}
---
apiVersion: v1
kind: Pod
metadata: {name: missing, namespace: staging}
spec:
  imagePullSecrets: [{name: a-registry}]
  serviceAccountName: nobody
  containers:
    - {name: app, image: "registry.example.com/app:1"}
"""


def containers(manifests: Manifests) -> dict[str, Container]:
    return {f"{c.meta.name}/{c.name}": c for c in manifests.containers()}


def test_effective_credentials_in_kubelet_order(tmp_path: Path) -> None:
    manifests = load(tmp_path, STREAM)
    by_name = containers(manifests)
    team = effective_credentials(by_name["own/team"], PullSecretIndex(manifests))
    # reverse-sorted keys: registry.example.com/team before registry.example.com; within a key, secret order
    assert [(c.registry_key, c.username, c.origin) for c in team] == [
        ("registry.example.com/team", "c", "secret prod/b-registry"),
        ("registry.example.com", "a", "secret prod/a-registry"),
        ("registry.example.com", "b", "secret prod/b-registry"),
    ]
    other = effective_credentials(by_name["own/other"], PullSecretIndex(manifests))
    assert [c.username for c in other] == ["a", "b"]
    assert effective_credentials(by_name["own/hub"], PullSecretIndex(manifests)) == ()
    assert effective_credentials(by_name["own/invalid"], PullSecretIndex(manifests)) == ()


def test_service_account_secrets_only_when_the_pod_has_none(tmp_path: Path) -> None:
    manifests = load(tmp_path, STREAM)
    by_name = containers(manifests)
    inherited = effective_credentials(by_name["inherited/team"], PullSecretIndex(manifests))
    assert [c.username for c in inherited] == ["c", "b"]
    index = PullSecretIndex(manifests)
    pod = index.pod(by_name["inherited/team"].pod)
    assert pod.inherited and pod.service_account == "builder" and pod.service_account_found
    # the namespace-less "default" ServiceAccount applies to a pod in prod without serviceAccountName
    default = effective_credentials(by_name["default-account/app"], PullSecretIndex(manifests))
    assert [c.username for c in default] == ["a"]


def test_verdicts(tmp_path: Path) -> None:
    manifests = load(tmp_path, STREAM)
    index = PullSecretIndex(manifests)
    by_name = containers(manifests)
    own = index.pod(by_name["own/team"].pod)
    assert own.verdict("registry.example.com/team/app") is CredentialVerdict.COVERED
    assert own.verdict("quay.io/acme/app") is CredentialVerdict.MISMATCH
    missing = index.pod(by_name["missing/app"].pod)
    assert missing.verdict("registry.example.com/app") is CredentialVerdict.UNKNOWN  # a-registry is in prod
    assert not missing.service_account_found


def test_no_secrets_at_all(tmp_path: Path) -> None:
    manifests = load(
        tmp_path,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        '  containers: [{name: a, image: "r.example.com/a:1"}]\n',
    )
    pod_spec = manifests.workloads[0].pod
    assert pod_spec is not None
    pod = PullSecretIndex(manifests).pod(pod_spec)
    # Its ServiceAccount is nowhere to be seen: what it carries is unknown, not "nothing".
    assert pod.verdict("r.example.com/a") is CredentialVerdict.ACCOUNT_UNKNOWN
    assert pod.service_account == "default" and not pod.service_account_found
    declared = SecretIndex([], [], ClusterKnowledge(declared_accounts={(None, "default"): ()}))
    known = PullSecretIndex(manifests, declared).pod(pod_spec)
    assert known.verdict("r.example.com/a") is CredentialVerdict.NO_SECRETS


def test_a_batch_sees_the_secrets_and_accounts_of_the_whole_run(tmp_path: Path) -> None:
    manifests = load(tmp_path, STREAM)
    run_index = SecretIndex(manifests.secrets, manifests.service_accounts)
    # A batch holding only the pod: its ServiceAccount and Secrets came in other batches of the stream.
    batch = Manifests()
    batch.workloads = [w for w in manifests.workloads if w.meta.name == "inherited"]
    pod = batch.workloads[0].pod
    assert pod is not None
    alone = PullSecretIndex(batch).pod(pod)
    assert not alone.service_account_found and not alone.credentials("registry.example.com/team/app")
    shared = PullSecretIndex(batch, run_index).pod(pod)
    assert shared.service_account_found
    assert [c.username for c in shared.credentials("registry.example.com/team/app")] == ["c", "b"]


def test_credentials_never_in_repr(tmp_path: Path) -> None:
    manifests = load(tmp_path, STREAM)
    index = PullSecretIndex(manifests)
    text = repr(index.secrets) + str(index.secrets) + repr(index.service_account_refs)
    for secret in ("one", "two", "three"):
        assert f"'{secret}'" not in text
