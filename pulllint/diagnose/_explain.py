"""For each cause: a one-paragraph explanation, the fix, and the triage command that confirms it.

Texts name the image, host, pod and platform the failure is about; placeholders (``<pod>``) stand for
what the input did not say. No text ever holds a credential: commands that need one read it from where it
lives (``docker login``, the Secret) and print host names only.
"""

from __future__ import annotations

import re
import shlex
from types import MappingProxyType
from typing import NamedTuple

from pulllint.diagnose._classify import Classification
from pulllint.hosts import parse_host_port
from pulllint.images import InvalidReference, parse_image, reference_or_none

__all__ = ["Where", "explain", "redact"]


class Where(NamedTuple):
    """What is known about the failing container."""

    pod: str | None = None
    namespace: str | None = None
    container: str | None = None
    node: str | None = None
    image: str | None = None
    secrets: tuple[str, ...] = ()  # the pod's usable pull secrets, by name (--kubectl)


class Texts(NamedTuple):
    explanation: str
    fix: str
    triage: str


_USERINFO = re.compile(r"(?<=://)[^/@\s\"']+@")
_SECRET_PARAM = re.compile(
    r"((?:access_token|refresh_token|token|password|passwd|secret|sig|signature|x-amz-security-token"
    r"|x-amz-signature|x-amz-credential)=)[^&\s\"']+",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(
    r"((?:authorization|x-registry-auth)[\"']?\s*[:=]\s*[\"']?)(\w+ )?[^\s\"',}]+", re.I
)
_AUTH_SCHEME = re.compile(r"\b(Basic|Bearer) [A-Za-z0-9._~+/=-]{8,}")


def redact(text: str) -> str:
    """The text with user info in URLs, token query parameters and authorization values masked."""
    text = _USERINFO.sub("***@", text)
    text = _SECRET_PARAM.sub(r"\1***", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}***", text)
    return _AUTH_SCHEME.sub(r"\1 ***", text)


def _q(value: str) -> str:
    return shlex.quote(value)


def _ref_parts(image: str | None) -> tuple[str, str, str] | None:
    """(host, repository path, tag-or-digest) of a parseable image."""
    ref = reference_or_none(image)
    return None if ref is None else (ref.domain, ref.path, ref.reference)


def _docker_url(image: str) -> str:
    parts = _ref_parts(image)
    if parts is None:
        return f"docker://{image}"
    domain, path, reference = parts
    sep = "@" if reference.startswith("sha256:") else ":"
    return f"docker://{domain}/{path}{sep}{reference}"


def _pod_args(where: Where) -> str:
    pod = where.pod or "<pod>"
    ns = where.namespace or "<namespace>"
    return f"{_q(pod)} -n {_q(ns)}"


def explain(c: Classification, where: Where, message: str) -> Texts:
    """The explanation, fix and triage command of one classified failure."""
    image = where.image or c.image or "<image>"
    host = c.host or (_ref_parts(image) or ("<registry>",))[0]
    handler = _HANDLERS.get(c.cause, _unknown)
    texts = handler(c, where, image, host, message)
    if c.attempts and len(c.attempts) > 1:
        listed = ", ".join(c.attempts)
        texts = texts._replace(
            explanation=f"{texts.explanation} The message lists {len(c.attempts)} attempts ({listed}); "
            "the one that got furthest into the pull decides."
        )
    return texts


def _said(c: Classification) -> str:
    runtime = {"unknown": "the runtime", "kubelet": "the kubelet"}.get(c.runtime, c.runtime)
    return f'{runtime} said "{c.evidence}"' if c.evidence else f"{runtime} gave no reason"


def _invalid(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    reason = ""
    if image != "<image>":
        try:
            parse_image(image)
        except InvalidReference as error:
            reason = f" ({error})"
    return Texts(
        f"The kubelet cannot parse the image reference {image!r}{reason}, so it never asks a runtime to "
        "pull it (InvalidImageName). Typical origins: a URL scheme (https://), uppercase letters in the "
        "repository, a leading slash, an image string doubled or left empty by templating (None:None, "
        "${TAG}).",
        "Correct the image field in the workload's manifest (or the Helm values that render it) to "
        "[registry/]repository[:tag][@digest], lowercase, without scheme.",
        f"kubectl get pod {_pod_args(where)} -o jsonpath='{{.spec.containers[*].image}}'; "
        "pulllint check <manifest>",
    )


def _never(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    return Texts(
        f"The container has imagePullPolicy: Never and the image {image!r} is not in the node's image "
        "store, so the kubelet refuses to start it (ErrImageNeverPull). Never only works for images "
        "preloaded on every node that may run the pod (kind load, minikube image load, ctr import).",
        "Load the image onto every node, or set imagePullPolicy: IfNotPresent with an image the nodes can "
        "pull from a registry.",
        f"crictl images | grep {_q(image.rsplit(':', 1)[0])}   # on node {where.node or '<node>'}",
    )


def _tag(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    parts = _ref_parts(image)
    reference = parts[2] if parts else "<tag>"
    repo = f"{parts[0]}/{parts[1]}" if parts else "<repository>"
    # containerd's "not found" is any 404 of the manifest: elsewhere than on Docker Hub (which answers 401
    # for a missing repository) it may be the repository that is missing; MANIFEST_UNKNOWN names the tag.
    maybe_repo = (
        ""
        if host in ("docker.io", "<registry>") or "manifest" in c.evidence.lower()
        else " On registries other than Docker Hub the same 404 also means the repository itself is missing."
    )
    return Texts(
        f"The registry has no manifest {reference!r} in {repo} ({_said(c)}): the tag or digest does "
        f"not exist: a typo, a tag that was never pushed, deleted, or an untagged image whose implied "
        f":latest was never published.{maybe_repo}",
        "Use a tag that exists (pulllint diagnose --verify lists the nearest ones), push the missing tag, "
        "or pin the digest of a published image.",
        f"skopeo list-tags docker://{repo}",
    )


def _repository(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    parts = _ref_parts(image)
    repo = f"{parts[0]}/{parts[1]}" if parts else "<repository>"
    if c.klass == "name-unknown":
        return Texts(
            f"The registry says the repository {repo} does not exist ({_said(c)}): a typo in its path, "
            "a repository that was deleted or moved, or the wrong registry host.",
            "Correct the repository path (organisation and name) or the registry host in the image field.",
            f"skopeo inspect --raw {_docker_url(image)}",
        )
    if parts and parts[0] == "docker.io":
        triage = (
            f"curl -s -o /dev/null -w '%{{http_code}}\\n' https://hub.docker.com/v2/repositories/{parts[1]}/"
        )
    else:
        triage = f"skopeo inspect --raw {_docker_url(image)}"
    return Texts(
        f"The registry refused anonymous access to {repo} ({_said(c)}): the repository does not exist, "
        "or it is private and the pull carried no credentials that may read it. Docker Hub answers both "
        "cases alike, so the message cannot tell them apart.",
        "If the name is right and the repository is private, give the pod a pull secret for "
        f"{host} (imagePullSecrets, or its ServiceAccount's); otherwise correct the name.",
        f"{triage}   # 404: missing; 200: exists (then it is private or needs a login)",
    )


def _secret_fix(host: str, where: Where) -> str:
    server = "https://index.docker.io/v1/" if host == "docker.io" else host
    ns = where.namespace or "<namespace>"
    return (
        f"kubectl create secret docker-registry regcred -n {_q(ns)} --docker-server={_q(server)} "
        "--docker-username=<user> --docker-password=<token>, then list regcred in the pod's "
        "imagePullSecrets (or its ServiceAccount's)."
    )


def _secrets_triage(where: Where) -> str:
    return (
        f'kubectl get pod {_pod_args(where)} -o jsonpath=\'{{.spec.imagePullSecrets}}{{"\\n"}}'
        "{.spec.serviceAccountName}'"
    )


def _no_credentials(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    return Texts(
        f"The registry {host} requires a login and the pull carried no credentials ({_said(c)}): the pod "
        "has no pull secret that matches this host (neither its own imagePullSecrets nor its "
        "ServiceAccount's), the secret it names does not exist in its namespace, or a credential "
        "provider fell back to an anonymous token.",
        f"Give the pod a pull secret for {host}: {_secret_fix(host, where)}",
        _secrets_triage(where),
    )


def _refused(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    status = f" ({c.klass})" if c.klass else ""
    return Texts(
        f"The registry {host} refused the pull{status} ({_said(c)}): the credentials the runtime sent (a "
        "pull secret, or the node's own) are wrong, expired or lack read access to this repository. If no "
        "pull secret of the pod matches this host, the request was anonymous and the fix is a pull secret "
        "(PL201).",
        "Renew the token or password in the pull secret (a fresh docker login, a new robot/deploy token "
        "with pull scope) and check that the account may read the repository.",
        f"kubectl get secret {_q(where.secrets[0]) if where.secrets else '<secret>'} -n "
        f"{_q(where.namespace or '<namespace>')} -o jsonpath='{{.data.\\.dockerconfigjson}}' | base64 -d "
        "| jq '.auths | keys'   # hosts only; then: docker login " + host,
    )


def _cloud(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    cloud = c.cloud
    service = cloud.describe() if cloud is not None else "a cloud registry"
    permission = cloud.permission() if cloud is not None else "the node's identity needs read access"
    said = _said(c)
    if c.klass == "ecr-token-expired":
        return Texts(
            f"The ECR authorization token the node used has expired ({said}). ECR tokens last 12 hours; "
            "when they stop being refreshed on some nodes, the usual culprits are the kubelet credential "
            "provider (ecr-credential-provider, --image-credential-provider-config), the instance "
            "metadata service (IMDSv2 hop limit, a network policy blocking 169.254.169.254) and the node's "
            "clock.",
            "Fix the credential provider on the affected nodes (binary, config, IAM role reachable through "
            "IMDS) and the node's time sync; a static pull secret holding an ECR token expires as well.",
            "on the node: journalctl -u kubelet | grep -i credential; "
            "curl -s -m 2 http://169.254.169.254/latest/meta-data/iam/info; timedatectl",
        )
    if cloud is not None and cloud.provider == "aws":
        region = cloud.region or "<region>"
        triage = (
            f"aws ecr describe-images --region {_q(region)} --repository-name "
            f"{_q((_ref_parts(image) or ('', '<repository>', ''))[1])}   # with the node role's credentials"
        )
        fix = (
            "aws iam attach-role-policy --role-name <node-role> --policy-arn "
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly (for another account's registry, "
            "also a repository policy that allows the node role)"
        )
    elif cloud is not None and cloud.provider == "azure":
        triage = (
            f"az aks check-acr --name <cluster> --resource-group <group> --acr {cloud.account}.azurecr.io"
        )
        fix = f"az aks update --name <cluster> --resource-group <group> --attach-acr {cloud.account}"
    else:
        project = cloud.account if cloud is not None and cloud.account else "<project>"
        if cloud is not None and cloud.service == "Artifact Registry":
            repo = (_ref_parts(image) or ("", "p/<repository>", ""))[1].split("/")
            name = repo[1] if len(repo) > 1 else "<repository>"
            location = cloud.region or "<location>"
            triage = (
                f"gcloud artifacts repositories get-iam-policy {name} --location={location} "
                f"--project={project}"
            )
            fix = (
                f"gcloud artifacts repositories add-iam-policy-binding {name} --location={location} "
                f"--project={project} --member=serviceAccount:<node-service-account> "
                "--role=roles/artifactregistry.reader"
            )
        else:
            triage = (
                f"gcloud projects get-iam-policy {project} --flatten=bindings --format='table(bindings.role)'"
            )
            fix = (
                f"gcloud projects add-iam-policy-binding {project} "
                "--member=serviceAccount:<node-service-account> --role=roles/artifactregistry.reader"
            )
    return Texts(
        f"The image is on {service}, which the node pulls with its own cloud identity, and that identity "
        f"was refused ({said}): {permission}. A pull secret of the pod for this registry, if any, was "
        "refused as well.",
        fix,
        triage,
    )


def _platform(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    wanted = c.klass or "the node's os/architecture"
    node = where.node or "<node>"
    return Texts(
        f"The image {image!r} exists, but its manifest list has no entry for {wanted} ({_said(c)}): it "
        "was built for other platforms only (often amd64 only, met on arm64 nodes such as Graviton, "
        "Ampere, Raspberry Pi or Apple silicon).",
        "Use a tag built for that platform (a multi-arch image: docker buildx build --platform "
        "linux/amd64,linux/arm64), or schedule the pod on nodes of a platform the image offers "
        "(nodeSelector kubernetes.io/arch).",
        f"skopeo inspect --raw {_docker_url(image)} | jq '.manifests[].platform'; "
        f"kubectl get node {_q(node)} -o jsonpath='{{.status.nodeInfo.architecture}}'",
    )


def _rate(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    if c.klass == "docker-hub" or host == "docker.io":
        return Texts(
            f"Docker Hub refused the pull: the pull rate limit is reached ({_said(c)}). Anonymous pulls "
            "count per IPv4 address (or IPv6 /64) of the node or its NAT gateway: 100 pulls per 6 hours; "
            "authenticated Personal accounts get 200 per 6 hours. A whole cluster behind one NAT shares "
            "one anonymous quota.",
            "Authenticate pulls (a pull secret for docker.io on the pod or its ServiceAccount), run a "
            "pull-through cache or mirror the images into your own registry, and prefer "
            "imagePullPolicy: IfNotPresent with pinned tags so restarts do not pull again.",
            'TOKEN=$(curl -s "https://auth.docker.io/token?service=registry.docker.io&scope=repository:'
            'ratelimitpreview/test:pull" | jq -r .token); curl -s --head -H "Authorization: Bearer $TOKEN" '
            "https://registry-1.docker.io/v2/ratelimitpreview/test/manifests/latest | grep -i ratelimit   "
            "# run on the node",
        )
    return Texts(
        f"The registry {host} answered 429 Too Many Requests ({_said(c)}): its request quota for this "
        "client is used up.",
        "Authenticate the pulls, spread them out (IfNotPresent, fewer restarts), or cache the images in "
        "a registry of your own.",
        f"curl -s --head https://{host}/v2/ | grep -i -E 'ratelimit|retry-after'",
    )


_UNREACHABLE_TEXTS = MappingProxyType(
    {
        "timeout": (
            "the connection timed out: the network path from the node to the registry is blocked or slow "
            "(firewall or security group egress, a private endpoint, a proxy the node does not use, no NAT "
            "for private nodes); a very large image on a slow link can also exceed the kubelet's runtime "
            "request timeout",
            "Open the path from the nodes to the registry (egress rules, NAT, private endpoint DNS, the "
            "runtime's HTTPS_PROXY/NO_PROXY), or mirror the image to a registry the nodes can reach.",
            "curl -v --max-time 10 https://{host}/v2/   # from the node",
        ),
        "dns": (
            "the node could not resolve the registry's host name (a typo in the host, a private DNS zone the "
            "node does not see, or a failing resolver on the node)",
            "Correct the registry host, or make it resolvable from the nodes (their /etc/resolv.conf, the "
            "private DNS zone linked to the cluster's network).",
            "nslookup {name}   # on the node",
        ),
        "tls": (
            "the TLS handshake failed: the registry's certificate is not trusted by the node (a private CA, "
            "a self-signed certificate, a TLS-intercepting proxy) or is expired or for another name",
            "Install the CA on the nodes for this registry (containerd: "
            "/etc/containerd/certs.d/{host}/ca.crt; Docker: /etc/docker/certs.d/{host}/ca.crt; CRI-O: "
            "/etc/containers/certs.d/{host}/), or fix the registry's certificate.",
            "openssl s_client -connect {hostport} -servername {name} -showcerts </dev/null",
        ),
        "http-on-https": (
            "the registry speaks plain HTTP and the runtime spoke HTTPS to it: an insecure registry the "
            "node is not configured for",
            "Serve the registry over TLS, or declare it insecure on every node (containerd: "
            '/etc/containerd/certs.d/{host}/hosts.toml with server = "http://{host}"; Docker: '
            "insecure-registries in daemon.json; CRI-O: insecure = true in registries.conf).",
            "curl -v http://{host}/v2/",
        ),
        "refused": (
            "the connection was refused: nothing listens on that address and port (a wrong port, the "
            "registry down, a proxy in the way)",
            "Correct the registry's host and port, or bring the registry up.",
            "curl -v https://{host}/v2/   # from the node",
        ),
        "no-route": (
            "the node has no route to the registry's network",
            "Fix the nodes' routing (VPC peering, VPN, NAT) to the registry's address.",
            "ip route get $(getent hosts {name} | awk '{{print $1}}')   # on the node",
        ),
        "connection-reset": (
            "the connection was reset while talking to the registry (a proxy, a firewall or a load balancer "
            "closed it)",
            "Check proxies and middleboxes between the nodes and the registry; retry.",
            "curl -v https://{host}/v2/   # from the node",
        ),
    }
)


def _unreachable(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    klass = c.klass or "timeout"
    name = parse_host_port(host).host
    hostport = host if ":" in host else f"{host}:443"
    if host == "docker.io":
        host = name = "registry-1.docker.io"
        hostport = "registry-1.docker.io:443"
    if klass.startswith("status-"):
        return Texts(
            f"The registry {host} answered {klass[7:]} ({_said(c)}): a server-side failure, not a problem "
            "of the image or the pod. The next pull attempt may succeed.",
            "Wait and let the kubelet retry, check the registry's status page or logs, or mirror the image.",
            f"curl -s -o /dev/null -w '%{{http_code}}\\n' https://{host}/v2/",
        )
    what, fix, triage = _UNREACHABLE_TEXTS.get(klass, _UNREACHABLE_TEXTS["timeout"])
    fmt = {"host": host, "name": name, "hostport": hostport}
    return Texts(
        f"The node could not talk to the registry {host} ({_said(c)}): {what}.",
        fix.format(**fmt),
        triage.format(**fmt),
    )


def _disk(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    node = where.node or "<node>"
    return Texts(
        f"The node ran out of disk space while unpacking the image ({_said(c)}). The kubelet's image "
        "garbage collection frees space only above imageGCHighThresholdPercent, and large images, logs or "
        "emptyDir volumes fill the same disk.",
        "Free space on the node (crictl rmi --prune), give nodes bigger disks, tune image garbage "
        "collection (imageGCHighThresholdPercent / imageGCLowThresholdPercent) or use smaller images.",
        f"kubectl describe node {_q(node)} | grep -i -A6 conditions; on the node: df -h /var/lib/containerd "
        "/var/lib/docker /var/lib/containers",
    )


_GENERIC = re.compile(
    r"^(?:Error: )?(?:ErrImagePull|ImagePullBackOff)$|^Back-off pulling image \"[^\"]*\"$", re.IGNORECASE
)


def _unknown(c: Classification, where: Where, image: str, host: str, message: str) -> Texts:
    raw = redact(message.strip())
    if _GENERIC.match(raw.replace("\u201c", '"').replace("\u201d", '"')):
        what = (
            "This is the kubelet's follow-up notice; it names no cause. The runtime's own message is in the "
            "Failed event before it (events expire after an hour by default)."
        )
    else:
        what = "pulllint does not recognise this message, so it names no cause rather than a wrong one."
    return Texts(
        f"{what} Message: {raw}",
        "Read the runtime's message on the node; the triage command shows the events and the runtime log.",
        f"kubectl describe pod {_pod_args(where)}; on the node: journalctl -u kubelet -u containerd -u crio "
        "--since -1h | grep -i pull",
    )


_HANDLERS = MappingProxyType(
    {
        "invalid-reference": _invalid,
        "never-pull": _never,
        "tag-not-found": _tag,
        "repository-not-found": _repository,
        "no-credentials": _no_credentials,
        "credentials-refused": _refused,
        "cloud-identity": _cloud,
        "platform-missing": _platform,
        "rate-limited": _rate,
        "unreachable": _unreachable,
        "disk-pressure": _disk,
    }
)
