"""PL203 malformed-pull-secret."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.objects import ObjectMeta
from pulllint.model.pullsecrets import SecretProblem, wrong_type_problem
from pulllint.rules import Rule, RuleContext, object_finding


class MalformedPullSecret(Rule):
    """## What it does
    Reports a pull secret the kubelet cannot use, at the Secret (its `type` or the offending value) and
    at every `imagePullSecrets` entry, of a pod or a ServiceAccount, that names it:

    - a Secret named in `imagePullSecrets`, or holding `.dockerconfigjson` / `.dockercfg`, whose type is
      not `kubernetes.io/dockerconfigjson` or `kubernetes.io/dockercfg` (the kubelet skips it silently);
    - a type without its key (`kubernetes.io/dockerconfigjson` needs `.dockerconfigjson`,
      `kubernetes.io/dockercfg` needs `.dockercfg`): the API server rejects the Secret;
    - a `data` value that is not base64 (or is plain JSON, or is base64-encoded twice), JSON that does
      not parse or is not an object, a `.dockerconfigjson` without `auths` (often the legacy `.dockercfg`
      layout), a `.dockercfg` holding `auths`;
    - an entry that is not an object, a non-string field, an `auth` that is not base64 or does not decode
      to `user:password` (the kubelet then fails every pull of the pod);
    - at the Secret only: an entry with no credentials (no `auth`, no `username`/`password`: typically
      copied from a docker config that keeps credentials in a credential store), and a registry key the
      kubelet cannot parse.

    Messages name the Secret, the key and the registry, never a credential. `data` values may be padded
    or not; `stringData` wins over `data`.

    ## Why it matters
    A broken pull secret looks fine in review and fails only on the node: pulls go out anonymously (or
    not at all) and the pod ends in ImagePullBackOff.

    ## Example
    ```yaml
    kind: Secret
    type: Opaque                       # must be kubernetes.io/dockerconfigjson
    stringData:
      .dockerconfigjson: '{"registry.example.com": {"auth": "..."}}'   # no "auths"
    ```

    ## Fix
    `kubectl create secret docker-registry NAME --docker-server=HOST --docker-username=... \\
    --docker-password=...` writes a correct one.
    """

    code = "PL203"
    name = "malformed-pull-secret"
    severity = Severity.ERROR
    summary = "A pull secret of the wrong type, with bad base64 or JSON, or without auths."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        index = ctx.secrets
        for decoded in index.secrets:
            for problem in decoded.problems:
                yield _at_secret(decoded.secret.meta, problem)
        for ref in (*index.service_account_refs, *index.pod_refs()):
            secret = ref.secret
            if secret is None or secret.usable:
                continue
            problems = [p for p in secret.problems if p.fatal]
            if not problems:  # another type, no docker payload: broken only because it is used as one
                problem = wrong_type_problem(secret.secret)
                problems = [problem]
                yield _at_secret(secret.secret.meta, problem)
            owner = ref.owner
            yield object_finding(
                owner,
                ref.position,
                f"imagePullSecrets of {owner.kind} {owner.name or '<unnamed>'!r} names {ref.name!r}, which "
                f"the kubelet cannot use: {_first_reason(problems[0], secret.label)}",
                fix=f"fix the Secret {secret.label!r} (see the finding at its definition)",
            )


def _at_secret(meta: ObjectMeta, problem: SecretProblem) -> Finding:
    return object_finding(
        meta,
        problem.position,
        problem.message,
        fix="kubectl create secret docker-registry NAME --docker-server=HOST --docker-username=USER "
        "--docker-password=... writes a well-formed pull secret",
    )


def _first_reason(problem: SecretProblem, label: str) -> str:
    prefix = f"Secret {label} "
    message = problem.message
    if message.startswith(prefix):
        return message[len(prefix) :]
    return message.removeprefix(f"Secret {label}: ")


RULE = MalformedPullSecret
