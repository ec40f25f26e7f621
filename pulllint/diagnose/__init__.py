"""`pulllint diagnose`: explain a live ImagePullBackOff.

Failure messages (describe output, events and pods as JSON/YAML, journal lines, plain text) ->
classify (the cause, the rule that predicts it before deploy) -> optionally verify with the registry
wing -> report (text, json, markdown).

Public API:

- `diagnose_text(text, source)`: every failing container (or message line) of one input, as `Diagnosis`.
- `diagnose_failures(failures, ...)`: the same from `Failure` records (what ``--kubectl`` collects).
- `classify(message, image=None)`: the `Classification` of one message; `CAUSES` and `CAUSE_RULES`
  list the causes and the rule that predicts each.
- `verify(diagnoses, settings, ...)`: the diagnoses with what the registry says now.
- `render(diagnoses, fmt)`: "text", "json" (version 1) or "markdown".
- `exit_code(diagnoses)`: 0 when every failure was classified, 1 when any is ``unknown``.

Nothing here prints a credential: messages are redacted and pull secrets are only ever held in memory
as `RegistryCredential`, whose repr hides them.

The names load on first use, so registering the subcommand costs `pulllint check` nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulllint.diagnose._pipeline import (
        CAUSE_RULES,
        CAUSES,
        Classification,
        Diagnosis,
        Failure,
        InputFormatError,
        PodContext,
        classify,
        diagnose_failures,
        diagnose_text,
        exit_code,
        render,
        verify,
    )

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


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from pulllint.diagnose import _pipeline

    return getattr(_pipeline, name)
