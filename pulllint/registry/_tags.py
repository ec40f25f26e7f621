"""Nearest existing tags for a tag the registry does not know (pure functions, no I/O).

Ranking, best first:
1. version-like tags (``v1.25.1``, ``1.25.1-alpine``) when the wanted tag is version-like and shares its
   major number: same suffix ("-alpine") first, then the longest shared numeric prefix (1.25.x before
   1.26.x), then the smallest numeric distance on the first differing component, then edit distance,
   then the older release;
2. versions of the neighbouring major number (1.x for 2.0), same order; farther majors never;
3. any other tag by edit distance, then longest common prefix, if the distance is small relative to the
   tag's length (or they share a prefix of four characters or more).
Signature/attestation tags (``sha256-<hex>.sig``) are never suggested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_SUGGESTIONS = 5
# A version: optional v, dotted numbers, then nothing or a separated suffix ("-alpine", "+build", "_rc1").
# "3f2a1bc" (a commit hash) is not a version.
_VERSION_RE = re.compile(r"^[vV]?(\d+(?:\.\d+)*)((?:[-_+.~].*)?)$")
_ARTIFACT_RE = re.compile(r"^sha256-[0-9a-f]{64}(\.[A-Za-z0-9]+)?$")


def _version(tag: str) -> tuple[tuple[int, ...], str] | None:
    match = _VERSION_RE.match(tag)
    if match is None:
        return None
    numbers = tuple(int(part) for part in match.group(1).split(".") if len(part) <= 18)
    return numbers, match.group(2)


def edit_distance(a: str, b: str, bound: int | None = None) -> int:
    """Levenshtein distance; with ``bound``, any value above it is returned as ``bound + 1``."""
    if a == b:
        return 0
    if bound is not None and abs(len(a) - len(b)) > bound:
        return bound + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if bound is not None and min(current) > bound:
            return bound + 1
        previous = current
    result = previous[-1]
    return result if bound is None or result <= bound else bound + 1


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for ca, cb in zip(a, b, strict=False):
        if ca != cb:
            break
        n += 1
    return n


def nearest_tags(wanted: str, existing: Iterable[str], limit: int = MAX_SUGGESTIONS) -> tuple[str, ...]:
    """Up to ``limit`` existing tags nearest to ``wanted``, best first."""
    wanted_version = _version(wanted)
    bound = max(2, len(wanted) // 3)
    scored: list[tuple[tuple[int, ...], str]] = []
    for tag in set(existing):
        if not tag or tag == wanted or _ARTIFACT_RE.match(tag):
            continue
        candidate_version = _version(tag)
        if wanted_version is not None and candidate_version is not None:
            w_nums, w_suffix = wanted_version
            c_nums, c_suffix = candidate_version
            shared = _common_prefix_len(w_nums, c_nums)
            major_gap = abs(w_nums[0] - c_nums[0]) if w_nums and c_nums else 99
            if shared >= 1 or major_gap <= 1:
                if w_suffix == c_suffix:
                    suffix_penalty = 0
                elif w_suffix and c_suffix and edit_distance(w_suffix, c_suffix, 3) <= 2:
                    suffix_penalty = 1
                else:
                    suffix_penalty = 2
                if shared < min(len(w_nums), len(c_nums)):
                    gap = abs(w_nums[shared] - c_nums[shared])
                else:
                    gap = abs(len(w_nums) - len(c_nums))
                tier = 0 if shared >= 1 else 1  # a neighbouring major version comes after the same major
                key = (
                    tier,
                    suffix_penalty,
                    -shared,
                    gap,
                    edit_distance(wanted, tag),
                    -_older(c_nums, w_nums),
                )
                scored.append((key, tag))
            continue
        distance = edit_distance(wanted, tag, bound)
        prefix = _common_prefix(wanted, tag)
        if distance <= bound or prefix >= min(4, len(wanted)):
            scored.append(((2, distance, -prefix, 0, 0, 0), tag))
    scored.sort()
    return tuple(tag for _key, tag in scored[:limit])


def _common_prefix_len(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _older(candidate: tuple[int, ...], wanted: tuple[int, ...]) -> int:
    """1 when the candidate sorts below the wanted version (an older release, preferred on a tie)."""
    return 1 if candidate < wanted else 0
