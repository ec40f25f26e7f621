"""The diagnosis pipeline: failures -> classification -> explanation -> (verification). See the package."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pulllint.diagnose._classify import CAUSE_RULES, CAUSES, Classification, classify
from pulllint.diagnose._explain import Where, explain, redact
from pulllint.diagnose._model import Diagnosis, PodContext
from pulllint.diagnose._parse import Failure, InputFormatError, parse_text, secrets_missing
from pulllint.images import reference_or_none

if TYPE_CHECKING:
    from pulllint.model.credentials import RegistryCredential
    from pulllint.model.facts import ImageFacts, Platform
    from pulllint.registry import RegistrySettings

__all__ = [
    "CAUSES",
    "CAUSE_RULES",
    "Classification",
    "Diagnosis",
    "Failure",
    "InputFormatError",
    "PodContext",
    "classify",
    "diagnose_failures",
    "diagnose_text",
    "exit_code",
    "render",
    "verify",
]


def exit_code(diagnoses: Sequence[Diagnosis]) -> int:
    return 1 if any(d.cause == "unknown" for d in diagnoses) else 0


def diagnose_text(text: str, source: str = "-") -> list[Diagnosis]:
    """Every failure of one input. Raises `InputFormatError` for JSON/YAML that cannot be read."""
    fmt, failures = parse_text(text)
    if fmt == "text":  # one diagnosis per message line, follow-up notices included
        return diagnose_failures(failures, source, drop_notices=False)
    return diagnose_failures(failures, source, regroup_by_image=fmt == "journal")


_NOTICES = ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName")


def _is_generic(message: str) -> bool:
    """The kubelet's follow-up notices: a bare reason, ``Error: <reason>``, ``Back-off pulling image``."""
    text = message.strip().replace("\u201c", '"').replace("\u201d", '"')
    if text.removeprefix("Error: ") in _NOTICES:
        return True
    return text.startswith("Back-off pulling image") and text.count('"') <= 2 and text.endswith('"')


def _image_key(image: str | None) -> str | None:
    if not image:
        return None
    ref = reference_or_none(image)
    return image if ref is None else str(ref)


def diagnose_failures(
    failures: Sequence[Failure],
    source: str = "-",
    *,
    regroup_by_image: bool = False,
    drop_notices: bool = True,
    pods: Mapping[tuple[str | None, str | None], PodContext] | None = None,
) -> list[Diagnosis]:
    """One diagnosis per group of failures (one failing container), keeping its most telling message.

    Follow-up notices ("Error: ErrImagePull", "Back-off pulling image ...") are left out when another
    message of their pod or image tells the cause (unless not `drop_notices`).
    `pods` (from ``--kubectl``): a refusal of a pod without any usable pull secret was an anonymous
    pull, so its cause is no-credentials."""
    contexts = dict(pods or {})
    for notice in failures:
        missing = secrets_missing(notice.message) if notice.kind == "secrets-missing" else None
        if missing is not None and (notice.namespace, notice.pod) not in contexts:
            named = f" ({missing})" if missing else ""
            contexts[(notice.namespace, notice.pod)] = PodContext(
                f"the kubelet could not retrieve the pod's pull secrets{named}, so it pulled without them",
                anonymous=True,
            )
    failures = [f for f in failures if f.kind == "failure"]
    groups: dict[object, list[tuple[Failure, Classification]]] = {}
    # The kubelet logs the same message again at every back-off: classify each text once per run.
    memo: dict[tuple[str, str | None], Classification] = {}
    results = []
    for failure in failures:
        text = (failure.message, failure.image)
        if text not in memo:
            memo[text] = classify(failure.message, failure.image)
        results.append(memo[text])
    names: dict[
        str, tuple[str, str]
    ] = {}  # repository name -> the group of its first tagged image (journal lines)
    if regroup_by_image:
        for failure, result in zip(failures, results, strict=True):
            ref = reference_or_none(failure.image or result.image)
            if ref is not None and (ref.tag or ref.digest):
                names.setdefault(ref.name, ("image", str(ref)))
    for index, (failure, result) in enumerate(zip(failures, results, strict=True)):
        key: object = failure.group if failure.group is not None else ("line", index)
        if regroup_by_image:
            ref = reference_or_none(failure.image or result.image)
            if ref is not None:
                # "pull access denied for NAME," names no tag: it joins its repository's group
                key = (
                    ("image", str(ref)) if ref.tag or ref.digest else names.get(ref.name, ("image", ref.name))
                )
            elif failure.pod is not None:
                key = ("pod", failure.namespace, failure.pod, failure.container)
            else:
                key = ("line", index)
        groups.setdefault(key, []).append((failure, result))
    chosen = [_choose(members) for members in groups.values()]
    diagnoses = [
        _diagnosis(failure, result, members, source, contexts) for failure, result, members in chosen
    ]
    return _drop_redundant_notices(diagnoses) if drop_notices else diagnoses


def _choose(
    members: list[tuple[Failure, Classification]],
) -> tuple[Failure, Classification, list[tuple[Failure, Classification]]]:
    known = [m for m in members if m[1].cause != "unknown"]
    if known:
        failure, result = known[0]  # the first classified message: where the failure starts
    else:
        specific = [m for m in members if not _is_generic(m[0].message)]
        failure, result = (specific or members)[0]
    return failure, result, members


def _first(values: Sequence[str | None]) -> str | None:
    return next((v for v in values if v), None)


def _diagnosis(
    failure: Failure,
    result: Classification,
    members: list[tuple[Failure, Classification]],
    source: str,
    pods: Mapping[tuple[str | None, str | None], PodContext],
) -> Diagnosis:
    pod = _first([failure.pod, *(m[0].pod for m in members)])
    namespace = _first([failure.namespace, *(m[0].namespace for m in members)])
    container = _first([failure.container, *(m[0].container for m in members)])
    node = _first([failure.node, *(m[0].node for m in members)])
    image = _first([failure.image, result.image, *(m[0].image or m[1].image for m in members)])
    runtime = result.runtime
    if runtime == "unknown":
        hinted = _first([failure.runtime_hint, *(m[1].runtime for m in members if m[1].runtime != "kubelet")])
        runtime = hinted if hinted and hinted != "unknown" else "unknown"
    context = pods.get((namespace, pod))
    notes: tuple[str, ...] = ()
    if context is not None:
        notes = (f"cluster: {context.note}",)
        if context.anonymous and result.cause == "credentials-refused":
            result = result._replace(cause="no-credentials", klass=None)
    where = Where(pod, namespace, container, node, image, context.secrets if context else ())
    texts = explain(result, where, failure.message)
    return Diagnosis(
        failure.line,
        pod,
        namespace,
        container,
        image,
        runtime,
        result.cause,
        result.rule,
        result.klass,
        texts.explanation,
        texts.fix,
        texts.triage,
        redact(failure.message.strip()),
        source,
        node,
        notes,
    )


def _drop_redundant_notices(diagnoses: list[Diagnosis]) -> list[Diagnosis]:
    """A generic notice ("Error: ErrImagePull", "Back-off pulling image") that no container claimed is
    left out when its pod or image has a real diagnosis."""
    real = [d for d in diagnoses if not _is_generic(d.message) or d.container]
    pods = {(d.namespace, d.pod) for d in real if d.pod and d.cause != "unknown"}
    images = {_image_key(d.image) for d in real if d.image and d.cause != "unknown"}
    real_pods = {(d.namespace, d.pod) for d in real if d.pod}  # a generic unclaimed notice is never in real
    kept = []
    for d in diagnoses:
        if _is_generic(d.message) and (d.cause == "unknown" or not d.container):
            unclaimed = bool(d.pod) and not d.container and (d.namespace, d.pod) in real_pods
            if unclaimed or (d.pod and (d.namespace, d.pod) in pods) or _image_key(d.image) in images:
                continue
        kept.append(d)
    return kept


# --- verification --------------------------------------------------------------------------------------

_VERIFIABLE = frozenset(CAUSES) - {"invalid-reference", "never-pull", "disk-pressure"}


def verify(
    diagnoses: Sequence[Diagnosis],
    settings: RegistrySettings | None = None,
    *,
    credentials: Mapping[int, tuple[RegistryCredential, ...]] | None = None,
    platforms: Mapping[int, Platform] | None = None,
) -> list[Diagnosis]:
    """Ask each image's registry now (the registry wing's `resolve`) and add what it says to each
    diagnosis: whether the cause still holds. `credentials` and `platforms` are by diagnosis index (the
    pod's pull secrets and its node's platform, with ``--kubectl``)."""
    from pulllint.model.facts import ImageQuery, Platform
    from pulllint.registry import resolve

    queries: dict[int, ImageQuery] = {}
    for index, d in enumerate(diagnoses):
        ref = reference_or_none(d.image) if d.cause in _VERIFIABLE else None
        if ref is None:
            continue
        platform = (platforms or {}).get(index)
        if d.cause == "platform-missing" and d.klass:
            with contextlib.suppress(ValueError):
                platform = Platform.parse(d.klass)
        queries[index] = ImageQuery(ref, (credentials or {}).get(index, ()), platform)
    if not queries:
        return list(diagnoses)
    answers = resolve(list(queries.values()), settings)
    verified = list(diagnoses)
    for index, query in queries.items():
        facts = answers.get(query)
        if facts is not None:
            note = "registry now: " + _verdict(diagnoses[index], query, facts)
            verified[index] = verified[index]._replace(notes=(*verified[index].notes, redact(note)))
    return verified


def _status(facts: ImageFacts) -> str:
    status = facts.status
    return str(getattr(status, "value", status))


def _verdict(d: Diagnosis, query: object, facts: ImageFacts) -> str:
    from pulllint.model.facts import ImageQuery

    assert isinstance(query, ImageQuery)
    ref = query.image
    status = _status(facts)
    transient = d.cause in ("rate-limited", "unreachable")
    if status == "found":
        if query.platform is not None and facts.platforms is not None:
            wanted = query.platform
            offered = ", ".join(str(p) for p in facts.platforms) or "none"
            if not any(
                p.os == wanted.os
                and p.architecture == wanted.architecture
                and (wanted.variant is None or p.variant in (None, wanted.variant))
                for p in facts.platforms
            ):
                return (
                    f"{ref.familiar()} still has no {wanted} image (it offers: {offered}): the cause holds."
                )
            return (
                f"{ref.familiar()} offers {wanted} now (platforms: {offered}): the failure no longer holds."
            )
        if facts.extra.get("anonymous_pull") == "denied":
            label = facts.credential_label or "your own credentials"
            return (
                f"anonymous pulls of {ref.familiar()} are refused; it exists ({label} can read it): the pod "
                f"needs a pull secret for {ref.domain}."
            )
        if transient:
            return f"the tag exists now: the failure was transient ({d.cause.replace('-', ' ')})."
        if d.cause in ("tag-not-found", "repository-not-found"):
            return (
                f"{ref.familiar()} exists now: it was pushed after the failure, or the node pulls through "
                "another registry or mirror."
            )
        if facts.credential_label:
            return f"{ref.familiar()} exists and {facts.credential_label} may read it now."
        return f"{ref.familiar()} exists and is served anonymously now."
    if status == "tag-not-found":
        near = f"; nearest tags: {', '.join(facts.nearest_tags[:5])}" if facts.nearest_tags else ""
        holds = " (the cause holds)" if d.cause == "tag-not-found" else ""
        return f"the tag {ref.reference} does not exist{near}{holds}."
    if status == "repository-not-found":
        return f"the repository {ref.name} does not exist."
    if status == "missing-or-private":
        return f"anonymous access to {ref.name} is refused: the repository does not exist or is private."
    if status == "credentials-required":
        return f"{ref.domain} requires credentials for {ref.name}: anonymous pulls are refused."
    if status == "unauthorized":
        label = facts.credential_label or "the credentials"
        return f"{label} refused by {ref.domain}."
    if status == "unreachable":
        klass = f"{facts.error_class}: " if facts.error_class else ""
        return f"could not verify: pulllint cannot reach {ref.domain} either ({klass}{facts.detail})."
    if status == "rate-limited":
        remaining = f", remaining {facts.ratelimit_remaining}" if facts.ratelimit_remaining else ""
        return f"could not verify: rate-limited while asking{remaining}."
    return f"not verified: {facts.detail or status}."


def render(diagnoses: Sequence[Diagnosis], fmt: str = "text", *, color: bool = False) -> str:
    from pulllint.diagnose._report import render as render_report

    return render_report(diagnoses, fmt, color=color)
