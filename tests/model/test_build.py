"""The model built from manifests: workloads, pod specs, secrets, service accounts, positions."""

from __future__ import annotations

import time

from pulllint.loading.inputs import InputFile, Notices, decode
from pulllint.model.build import MAX_ALIASED_OBJECTS, add_piece, add_text
from pulllint.model.facts import Platform
from pulllint.model.objects import Manifests


def build(text: str, path: str = "m.yaml") -> Manifests:
    manifests = Manifests()
    add_text(manifests, path, text)
    return manifests


def test_every_workload_kind_and_container_section() -> None:
    text = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: prod}
spec:
  replicas: 3
  template:
    spec:
      serviceAccountName: builder
      imagePullSecrets: [{name: regcred}]
      initContainers: [{name: i, image: "busybox:1.36"}]
      containers: [{name: c, image: "nginx:1.27", imagePullPolicy: Always}]
      ephemeralContainers: [{name: e, image: "alpine:3.20"}]
---
apiVersion: v1
kind: PodTemplate
metadata: {name: pt}
template:
  spec:
    containers: [{name: c, image: "nginx:1.27"}]
---
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: dc}
spec:
  template:
    spec:
      containers: [{name: c, image: "nginx:1.27"}]
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: knative}
spec:
  template:
    spec:
      containers: [{image: "gcr.io/knative-samples/helloworld-go"}]
---
apiVersion: v1
kind: Service
metadata: {name: plain-service}
spec: {ports: [{port: 80}]}
"""
    manifests = build(text)
    kinds = [w.meta.kind for w in manifests.workloads]
    assert kinds == ["Deployment", "PodTemplate", "DeploymentConfig", "Service"]
    deployment = manifests.workloads[0]
    assert deployment.replicas == 3
    assert deployment.meta.object_id == "Deployment/prod/d"
    pod = deployment.pod
    assert pod is not None
    assert [(c.section, c.image) for c in pod.containers] == [
        ("containers", "nginx:1.27"),
        ("initContainers", "busybox:1.36"),
        ("ephemeralContainers", "alpine:3.20"),
    ]
    assert [s.value for s in pod.image_pull_secrets] == ["regcred"]
    assert pod.service_account is not None and pod.service_account.value == "builder"
    assert pod.containers[0].pull_policy is not None and pod.containers[0].pull_policy.value == "Always"
    image = pod.containers[0].image_position
    assert (image.line, image.column) == (12, 37)


def test_platforms_from_node_selector_and_affinity() -> None:
    text = """
apiVersion: v1
kind: Pod
metadata: {name: arm}
spec:
  nodeSelector: {kubernetes.io/arch: arm64}
  containers: [{name: c, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Pod
metadata: {name: affinity}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}
              - {key: kubernetes.io/os, operator: In, values: [linux]}
  containers: [{name: c, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Pod
metadata: {name: windows}
spec:
  nodeSelector: {kubernetes.io/os: windows}
  containers: [{name: c, image: "mcr.microsoft.com/windows/nanoserver:ltsc2022"}]
---
apiVersion: v1
kind: Pod
metadata: {name: open-term}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [arm64]}]
          - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]
  containers: [{name: c, image: "nginx:1.27"}]
"""
    platforms = [w.pod.platforms for w in build(text).workloads if w.pod]
    assert platforms == [
        (Platform("", "arm64"),),  # the os is not pinned: the cluster's default fills it
        (Platform("linux", "amd64"), Platform("linux", "arm64")),
        (Platform("windows", ""),),  # the arch is not pinned: never an implied amd64
        (),
    ]


def test_secrets_keep_only_docker_payloads_and_service_accounts_their_secrets() -> None:
    text = """
apiVersion: v1
kind: Secret
metadata: {name: regcred, namespace: prod}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: eyJhdXRocyI6e319
  password: c2VjcmV0
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: prod}
imagePullSecrets: [{name: regcred}]
"""
    manifests = build(text)
    [secret] = manifests.secrets
    assert secret.type is not None and secret.type.value == "kubernetes.io/dockerconfigjson"
    assert [(e.key, e.base64) for e in secret.entries] == [(".dockerconfigjson", True)]
    [account] = manifests.service_accounts
    assert [r.value for r in account.image_pull_secrets] == ["regcred"]


def test_kubectl_list_dumps_and_json() -> None:
    text = '{\n\t"apiVersion": "v1",\n\t"kind": "PodList",\n\t"items": [{"apiVersion": "v1", "kind": "Pod",'
    text += ' "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}]\n}\n'
    manifests = build(text, "dump.json")
    assert [c.image for c in manifests.containers()] == ["nginx"]
    assert manifests.syntax_problems == []


def test_bad_bytes_in_a_manifest_become_problems_and_elsewhere_notices() -> None:
    manifest = b"apiVersion: v1\nkind: Pod\nb: caf\xe9\n"
    problem = decode("l.yaml", 0, manifest).problem
    assert problem is not None and (problem.line, problem.column) == (3, 7)
    assert decode("b.yaml", 0, b"apiVersion: v1\nkind: Pod\n\x00\x01binary").problem is not None
    assert decode("bom.yaml", 0, b"\xef\xbb\xbfa: 1\n").text == "a: 1\n"
    manifests = Manifests()
    add_piece(manifests, decode("l.yaml", 0, manifest))
    assert [(p.position.line, "UTF-8" in p.message) for p in manifests.syntax_problems] == [(3, True)]
    notices = Notices()
    foreign = decode("values.yaml", 0, b"a: 1\nb: caf\xe9\n", notices=notices)
    assert foreign.problem is None and foreign.text is None
    assert [(n.line, n.level, n.kind) for n in notices] == [(2, "info", "not-manifest")]
    add_piece(manifests, foreign)
    assert len(manifests.syntax_problems) == 1


def test_a_bad_byte_late_in_a_stream_keeps_earlier_documents() -> None:
    data = (
        b"kind: Pod\napiVersion: v1\nspec: {containers: [{image: nginx}]}\n---\nkind: Pod\napiVersion: v1\n"
    )
    data += b"name: caf\xe9\n"
    pieces = list(InputFile("s.yaml", data).pieces())
    assert [p.problem is None for p in pieces] == [True, False]
    problem = pieces[1].problem
    assert problem is not None and (problem.line, problem.column) == (7, 10)


def test_empty_file_has_nothing_to_report() -> None:
    manifests = build("")
    assert manifests.files == 1 and manifests.documents == 0 and not manifests.syntax_problems


def test_merge_keys_are_applied_and_own_keys_win() -> None:
    text = """
apiVersion: v1
kind: Pod
metadata: {name: merged}
spec:
  containers:
    - &base {name: a, image: "Bad:1", imagePullPolicy: Never}
    - <<: *base
      name: b
    - <<: [{image: "first:1"}, *base]
      name: c
    - <<: *base
      image: "own:1"
      name: d
"""
    containers = list(build(text).containers())
    assert [(c.name, c.image) for c in containers] == [
        ("a", "Bad:1"),
        ("b", "Bad:1"),
        ("c", "first:1"),
        ("d", "own:1"),
    ]
    # An image that arrives through a merge key points at the line the anchor defines it on.
    assert containers[1].image_position.line == 7
    assert containers[1].pull_policy is not None and containers[1].pull_policy.value == "Never"


def test_a_merge_key_that_aliases_its_own_mapping_ends() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata: &m {name: x, <<: *m}\nspec: {containers: []}\n"
    manifests = build(text)
    assert manifests.syntax_problems == [] or all("alias" in p.message for p in manifests.syntax_problems)


def _list_bomb(levels: int, kind: str = "Pod") -> str:
    obj = (
        "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: 'Bad:1'}]}}"
        if kind == "Pod"
        else "{apiVersion: v1, kind: Secret, metadata: {name: s}, type: Opaque}"
    )
    lines = ["apiVersion: v1", "kind: List", "items:"]
    lines.append("- &l0 {apiVersion: v1, kind: List, items: [&p " + obj + ", *p" * 9 + "]}")
    for level in range(1, levels):
        lines.append(
            f"- &l{level} {{apiVersion: v1, kind: List, items: [" + ", ".join([f"*l{level - 1}"] * 10) + "]}"
        )
    return "\n".join(lines) + "\n"


def test_a_list_alias_bomb_is_one_problem_and_the_stream_goes_on() -> None:
    after = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: after}\n"
    after += "spec: {containers: [{name: c, image: 'x:1'}]}\n"
    for kind in ("Pod", "Secret"):
        started = time.perf_counter()
        manifests = build(_list_bomb(9, kind) + after)  # 10^9 objects if expanded
        assert time.perf_counter() - started < 10
        assert [(p.position.line, p.message) for p in manifests.syntax_problems] == [
            (
                1,
                "alias expansion too large: the list's items expand to more than "
                f"{MAX_ALIASED_OBJECTS} objects through aliases",
            )
        ]
        assert [c.image for c in manifests.containers()] == ["x:1"]  # nothing of the bomb stays
        assert manifests.secrets == []


def test_a_few_aliased_list_items_are_read() -> None:
    manifests = build(_list_bomb(2))
    assert len(list(manifests.containers())) == 110 and not manifests.syntax_problems


def test_merge_keys_of_merge_keys_are_bounded() -> None:
    lines = ["apiVersion: v1", "kind: Pod", "metadata: {name: m}", "spec:"]
    lines.append("  a0: &a0 {" + ", ".join(f"k{i}: v" for i in range(100)) + "}")
    for level in range(1, 30):
        lines.append(f"  a{level}: &a{level} {{<<: [" + ", ".join([f"*a{level - 1}"] * 10) + "]}")
    lines.append("  containers:\n    - <<: *a29\n      name: c\n      image: nginx:1.27")
    started = time.perf_counter()
    manifests = build("\n".join(lines) + "\n")  # 10^29 keys if every merge were copied out
    assert time.perf_counter() - started < 5
    assert [c.image for c in manifests.containers()] == ["nginx:1.27"]
    wide = "apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec:\n  a: &a {"
    wide += ", ".join(f"k{i}: v" for i in range(20_000)) + "}\n"
    wide += "  containers:\n" + "".join(f"    - {{<<: *a, name: c{i}, image: x}}\n" for i in range(6))
    manifests = build(wide)
    assert [p.message.split(":")[0] for p in manifests.syntax_problems] == ["alias expansion too large"]


def test_duplicate_keys_are_judged_only_in_manifests() -> None:
    assert build("name: a\nname: b\n").syntax_problems == []
    manifests = build("apiVersion: v1\nkind: Pod\nmetadata: {name: a, name: b}\n")
    assert [p.message for p in manifests.syntax_problems] == [
        "duplicate key 'name': kubectl rejects this document"
    ]


def test_inline_suppressions_are_found_in_linear_time() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x  # pulllint: ignore[PL103]\n"
    text += "# pulllint: ignore\nspec: {}\n" + "# pulllint: ignore[PL1] " * 3 + "\n"
    found = [(s.line, s.column, sorted(s.codes), s.covers) for s in build(text).inline_suppressions]
    assert found == [
        (4, 12, ["PL103"], (4,)),
        (5, 1, [], (5, 6)),
        (7, 1, ["PL1"], (7, 8)),
        (7, 25, ["PL1"], (7,)),
        (7, 49, ["PL1"], (7,)),
    ]
    many = "apiVersion: v1\nkind: Pod\nmetadata:\n" + "  # pulllint: ignore[PL103]\n" * 100_000
    one_line = "apiVersion: v1\nkind: Pod\nx: 1 " + "# pulllint: ignore[PL1 " * 100_000 + "\n"
    started = time.perf_counter()
    assert len(build(many).inline_suppressions) == 100_000
    assert len(build(one_line).inline_suppressions) == 100_000
    assert time.perf_counter() - started < 10
