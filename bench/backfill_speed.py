"""The bulk backfill against plain ``SentenceTransformer.encode``, side by side, in one run.

    python bench/backfill_speed.py --device cuda            # on a GPU machine: the 142k corpus
    python bench/backfill_speed.py --device cpu --limit 400  # a check that it runs

Embeds the same papers of the 142k snapshot both ways: plain ``encode`` (float32, batches of
32, the model loaded before the clock starts) and ``python -m papersearch.backfill`` (float16
on a GPU, tokenised by worker processes ahead of the model; its time includes starting the
workers and loading the model). Prints papers/second, the ratio and the cosine agreement of
the two sets of vectors. The target on a GPU is 5x plain ``encode``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import SNAPSHOT
from papersearch.backfill import VectorFile, backfill, snapshot_texts
from papersearch.embed import load_model, plain_encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--limit", type=int, help="only the first LIMIT papers (default: all)")
    parser.add_argument("--workers", type=int, default=max(1, min(16, (os.cpu_count() or 2) - 1)))
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    texts = [text for _id, text in itertools.islice(snapshot_texts(SNAPSHOT), args.limit)]
    n = len(texts)

    model = load_model(args.device)
    plain_encode(model, texts[:64])  # warm up
    start = time.perf_counter()
    plain = plain_encode(model, texts)
    plain_s = time.perf_counter() - start
    del model

    with tempfile.TemporaryDirectory() as tmp:
        result = backfill(
            SNAPSHOT,
            Path(tmp) / "vectors",
            device=args.device,
            workers=args.workers,
            batch_size=args.batch_size,
            limit=args.limit,
        )
        vectors = VectorFile(Path(tmp) / "vectors").read(np.arange(n))
    assert result.papers == n
    cosine = (vectors * plain).sum(axis=1)
    print(f"{n:,} papers of the 142k snapshot on {args.device}, {args.workers} tokeniser workers")
    print(f"  plain encode (fp32, batch 32)  {n / plain_s:9,.0f}/s  ({plain_s:.1f} s)")
    print(
        f"  backfill                       {n / result.seconds:9,.0f}/s  ({result.seconds:.1f} s, "
        f"{plain_s / result.seconds:.2f}x plain; cosine to plain: mean {cosine.mean():.5f}, "
        f"min {cosine.min():.5f})"
    )


if __name__ == "__main__":
    main()
