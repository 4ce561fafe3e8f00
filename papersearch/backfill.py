"""Bulk embedding of a snapshot file, for a machine with a GPU.

    python -m papersearch.backfill SNAPSHOT.jsonl.gz OUT --device cuda --workers 8

Reads the arXiv snapshot format (JSON lines, optionally gzipped). Worker processes tokenise
blocks of papers (sorted by length inside each block, so batches carry little padding) while
the main process runs the model in float16 on the GPU; ``imap`` keeps the workers a few
blocks ahead, so tokenisation overlaps the GPU work. Writes ``OUT.npy`` (float16 unit
vectors, one row per paper in file order) and ``OUT.ids`` (one arXiv id per line), which
``SearchIndex.rebuild(..., vectors=...)`` accepts on any machine. Without a GPU
(``--device cpu``) the same path runs in float32, for tests and small files.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from papersearch.embed import DIM, MAX_SEQ_LENGTH, model_path

_SPACE = re.compile(r"\s+")
_tokenizer: Any = None


def snapshot_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(id, title + ". " + abstract) for each paper of a snapshot file."""
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                title = _SPACE.sub(" ", record.get("title") or "").strip()
                abstract = _SPACE.sub(" ", record.get("abstract") or "").strip()
                yield record["id"], f"{title}. {abstract}"


def _init_worker() -> None:
    global _tokenizer  # noqa: PLW0603 (one tokenizer per worker process)
    from transformers import AutoTokenizer

    _tokenizer = AutoTokenizer.from_pretrained(str(model_path()))


def tokenise_block(
    args: tuple[int, list[str], int],
) -> tuple[int, list[tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.int64]]]]]:
    """Tokenise one block into length-sorted padded batches: (positions, features)."""
    start, texts, batch_size = args
    encoded = _tokenizer(texts, truncation=True, max_length=MAX_SEQ_LENGTH)
    order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")
    batches = []
    for lo in range(0, len(order), batch_size):
        part = order[lo : lo + batch_size]
        padded = _tokenizer.pad(
            {k: [encoded[k][i] for i in part] for k in encoded}, return_tensors="np"
        )
        batches.append((part.astype(np.int64), {k: np.asarray(v) for k, v in padded.items()}))
    return start, batches


def _blocks(
    texts: Iterator[tuple[str, str]], size: int, batch_size: int, ids: list[str]
) -> Iterator[tuple[int, list[str], int]]:
    block: list[str] = []
    start = 0
    for paper_id, text in texts:
        ids.append(paper_id)
        block.append(text)
        if len(block) == size:
            yield start, block, batch_size
            start += len(block)
            block = []
    if block:
        yield start, block, batch_size


def backfill(
    snapshot: Path,
    out: Path,
    *,
    device: str = "cuda",
    workers: int = 4,
    batch_size: int = 256,
    block_size: int = 8192,
    limit: int | None = None,
) -> int:
    """Embed every paper of ``snapshot``; returns how many."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_path()), device=device)
    encoder: Any = model[0].auto_model
    encoder.eval()
    if device != "cpu":
        encoder = encoder.half()
    texts = snapshot_texts(snapshot)
    if limit is not None:
        texts = (t for i, t in enumerate(texts) if i < limit)
    ids: list[str] = []
    chunks: list[npt.NDArray[np.float16]] = []
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker) as pool, torch.inference_mode():
        for start, batches in pool.imap(
            tokenise_block, _blocks(texts, block_size, batch_size, ids)
        ):
            size = sum(len(p) for p, _ in batches)
            vectors = np.zeros((size, DIM), dtype=np.float16)
            for positions, features in batches:
                tensors = {
                    k: torch.from_numpy(v).to(device, non_blocking=True)
                    for k, v in features.items()
                }
                hidden = encoder(**tensors).last_hidden_state
                mask = tensors["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1).float() / mask.sum(1).float().clamp(min=1)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                vectors[positions] = pooled.cpu().numpy().astype(np.float16)
            assert start == sum(len(c) for c in chunks)
            chunks.append(vectors)
    matrix = np.concatenate(chunks) if chunks else np.zeros((0, DIM), np.float16)
    np.save(out.with_suffix(".npy"), matrix)
    out.with_suffix(".ids").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("out", type=Path, help="writes OUT.npy and OUT.ids")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    start = time.perf_counter()
    n = backfill(
        args.snapshot,
        args.out,
        device=args.device,
        workers=args.workers,
        batch_size=args.batch_size,
        limit=args.limit,
    )
    elapsed = time.perf_counter() - start
    print(f"embedded {n:,} papers in {elapsed:.0f} s ({n / max(elapsed, 1e-9):,.0f}/s)")


if __name__ == "__main__":
    main()
