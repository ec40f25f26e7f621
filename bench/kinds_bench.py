"""What the kinds table costs: reading it, and PL004's scan for `image` keys no entry covers.

    .venv/bin/python bench/kinds_bench.py [ROUNDS]      # default 3 rounds

1. `load_kinds()`, the once-per-run read of pulllint/kinds/kinds.json: median CPU time of 200 calls.
2. Building the model of the shared corpus (../shared/corpus/manifests, every .yaml/.yml) with the
   scan timed on its own (`pulllint.model.locate.find_images`, wrapped): the scan's share of the model's
   CPU time, the documents it ran on, and what it found (on the corpus: nothing). CPU time
   (`time.process_time`), so the other processes on a shared machine count less; the median of ROUNDS.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulllint.loading.inputs import InputFile, Piece
from pulllint.model import build, locate
from pulllint.model.kinds import load_kinds
from pulllint.model.objects import Manifests

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "manifests"


def _pieces() -> list[Piece]:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml"))
    return [piece for path in files for piece in InputFile(str(path)).pieces()]


def _round(pieces: list[Piece]) -> tuple[float, float, int, Manifests]:
    real: Callable[..., list[locate.UnclaimedImage]] = locate.find_images
    spent = [0.0, 0.0]

    def timed(*args: Any, **kwargs: Any) -> list[locate.UnclaimedImage]:
        started = time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - started
            spent[1] += 1

    manifests = Manifests()
    kinds = load_kinds()
    locate.find_images = timed
    try:
        started = time.process_time()
        for piece in pieces:
            build.add_piece(manifests, piece, kinds)
        total = time.process_time() - started
    finally:
        locate.find_images = real
    return total, spent[0], int(spent[1]), manifests


def main(rounds: int) -> None:
    loads = []
    for _ in range(200):
        started = time.process_time()
        load_kinds()
        loads.append(time.process_time() - started)
    print(f"load_kinds: median {statistics.median(loads) * 1000:.2f} ms CPU")
    if not CORPUS.is_dir():
        print(f"{CORPUS} is absent: no corpus figures")
        return
    pieces = _pieces()
    results = [_round(pieces) for _ in range(rounds)]
    total = statistics.median(r[0] for r in results)
    scan = statistics.median(r[1] for r in results)
    _, _, scanned, manifests = results[-1]
    print(
        f"corpus: {manifests.documents} documents, {sum(1 for _ in manifests.containers())} containers; "
        f"model {total * 1000:.0f} ms CPU, scan {scan * 1000:.1f} ms ({scan / total:.1%}) over {scanned} "
        f"documents; {len(manifests.unknown_image_kinds)} PL004 findings"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
