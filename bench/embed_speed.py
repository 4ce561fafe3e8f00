"""The CPU embedding path against plain ``SentenceTransformer.encode``, side by side.

    python bench/embed_speed.py [--n 300]

Embeds the same real abstracts (title + ". " + abstract, spread over the 142k corpus) both
ways and prints abstracts/second and the cosine agreement of the two sets of vectors.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import snapshot_papers
from papersearch.embed import MiniLMEmbedder, bf16_supported, plain_encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    step = 142_000 // args.n
    texts = [d.embedding_text() for i, d in enumerate(snapshot_papers()) if i % step == 0]
    texts = texts[: args.n]
    embedder = MiniLMEmbedder()
    model = embedder.model
    plain_encode(model, texts[:8])
    embedder.embed(texts[:8])  # warm up both
    start = time.perf_counter()
    plain = plain_encode(model, texts)
    plain_s = time.perf_counter() - start
    start = time.perf_counter()
    fast = embedder.embed(texts)
    fast_s = time.perf_counter() - start
    cosine = (plain * fast).sum(axis=1)
    print(
        f"{len(texts)} abstracts, {torch.get_num_threads()} torch threads, "
        f"bf16 instructions: {bf16_supported()}"
    )
    print(f"  plain encode fp32   {len(texts) / plain_s:6.1f}/s")
    print(
        f"  CPU path            {len(texts) / fast_s:6.1f}/s  "
        f"({plain_s / fast_s:.2f}x; cosine to plain: mean {cosine.mean():.5f}, "
        f"min {cosine.min():.5f})"
    )


if __name__ == "__main__":
    main()
