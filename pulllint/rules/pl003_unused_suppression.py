"""PL003 unused-suppression."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.rules import Rule, RuleContext


class UnusedSuppression(Rule):
    """## What it does
    Reports a suppression that suppressed nothing: an inline `# pulllint: ignore[PL103]` comment, or a
    `pulllint.dev/ignore` annotation, naming a code that raised no finding there, or a code that names
    no rule at all; and an entry of the `--baseline` file that matches no finding any more.

    ## Why it matters
    Stale suppressions hide the next real problem at that line or object, and a misspelt code
    (`PL13`) silently suppresses nothing. Like ruff's unused-noqa.

    ## Example
    ```yaml
    image: nginx:1.27.2  # pulllint: ignore[PL103]   <- the tag is not latest any more
    ```

    ## Fix
    Remove the suppression, or correct the code.
    """

    code = "PL003"
    name = "unused-suppression"
    severity = Severity.INFO
    summary = "A suppression comment or annotation that suppressed nothing."
    after_suppression = True

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for unused in ctx.unused_suppressions:
            if unused.kind == "baseline":
                code = ", ".join(sorted(unused.codes))
                yield Finding(
                    unused.source,
                    unused.position,
                    f"unused baseline entry: {code} is no longer reported for it",
                    fix="remove the entry, or rewrite the baseline with --update-baseline",
                )
                continue
            where = "comment" if unused.kind == "inline" else "annotation pulllint.dev/ignore"
            parts = []
            if unused.unknown:
                parts.append(f"unknown code {', '.join(sorted(unused.unknown))}")
            stale = unused.codes - unused.unknown
            if stale:
                parts.append(f"{', '.join(sorted(stale))} reported nothing here")
            elif not unused.codes:
                parts.append("nothing was reported here")
            meta = unused.meta
            yield Finding(
                unused.source,
                unused.position,
                f"unused suppression ({where}): {'; '.join(parts)}",
                object_id=meta.object_id if meta else None,
            )


RULE = UnusedSuppression
