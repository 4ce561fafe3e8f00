"""Bulk embedding of a snapshot file on a machine with a GPU, and reading its vectors back.

    python -m papersearch.backfill SNAPSHOT.jsonl.gz OUT --device cuda --workers 8

Reads the arXiv snapshot format (JSON lines, optionally gzipped). Worker processes tokenise
blocks of papers (sorted by length inside each block, so batches carry little padding) while
the main process runs the model in float16 on the GPU; ``imap`` keeps the workers a few
blocks ahead, so tokenisation overlaps the GPU work. Without a GPU (``--device cpu``) the
same path runs in float32, for tests and small files.

It writes the folder ``OUT``: ``vectors.npy`` (float16 unit vectors, one row per paper in
file order), ``keys.npy`` (each row's text key, see ``vector_keys``), ``ids.txt`` and, last,
``meta.json``. Each finished block is kept in ``OUT/blocks`` until the end, so an interrupted
run goes on from where it stopped when started again with the same arguments.

``VectorFile`` opens such a folder on any machine, and ``PrecomputedEmbedder`` puts it in
front of an embedder: a text whose key the file holds takes the file's vector, any other is
embedded as usual (``dailypapers index --vectors OUT``). Texts are matched, not ids, so a paper
whose title or abstract changed since the snapshot is embedded again.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import multiprocessing as mp
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from papersearch.embed import (
    DIM,
    MAX_SEQ_LENGTH,
    MODEL_NAME,
    Embedder,
    model_path,
    quiet_loading,
    text_hashes,
)
from papersearch.storage import atomic_write, atomic_write_bytes, is_gzip
from papersearch.text import fold_text
from papersearch.types import FloatArray, KeyArray

FORMAT = 1
_tokenizer: Any = None


def vector_keys(model_name: str, texts: Sequence[str]) -> KeyArray:
    """64-bit keys of (model, folded text): texts that differ only in white space (an abstract
    as arXiv wraps it, and the same abstract as the catalogue keeps it) share a key."""
    return text_hashes(model_name, [fold_text(text) for text in texts])


def snapshot_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(id, title + ". " + abstract) for each paper of a snapshot file, as the index embeds it
    (``Document.embedding_text``)."""
    opener: Any = gzip.open if is_gzip(path) else open
    with opener(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                paper_id = str(record["id"]).strip()
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}, line {number}: not a snapshot record ({exc})") from exc
            title = fold_text(str(record.get("title") or ""))
            abstract = fold_text(str(record.get("abstract") or ""))
            yield paper_id, f"{title}. {abstract}"


# -- the folder of vectors -------------------------------------------------------------------


def write_vectors(
    out: Path,
    ids: Sequence[str],
    keys: KeyArray,
    vectors: npt.ArrayLike,
    model_name: str,
    *,
    source: dict[str, Any] | None = None,
) -> None:
    """Write a finished folder (``meta.json`` last: a folder without it is not finished);
    ``source`` says what it was made from."""
    matrix = np.asarray(vectors, dtype=np.float16)
    if matrix.shape != (len(ids), DIM) or len(keys) != len(ids):
        raise ValueError(f"{len(ids)} ids, {len(keys)} keys and vectors of shape {matrix.shape}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta.json").unlink(missing_ok=True)
    _save_array(out / "vectors.npy", matrix)
    _save_array(out / "keys.npy", np.asarray(keys, dtype=np.uint64))
    atomic_write_bytes(out / "ids.txt", "".join(f"{i}\n" for i in ids).encode())
    meta = {"format": FORMAT, "model": model_name, "dim": DIM, "rows": len(ids), "source": source}
    atomic_write_bytes(out / "meta.json", json.dumps(meta).encode())


def _save_array(path: Path, array: npt.NDArray[Any]) -> None:
    atomic_write(path, lambda f: np.save(f, array))


class VectorFile:
    """A finished backfill folder, read-only: its vectors found by text key."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            meta = json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(
                f"{self.path} is not a finished backfill folder (no meta.json): "
                "run the backfill again to finish it"
            ) from None
        except ValueError as exc:
            raise ValueError(f"{self.path}/meta.json is not valid JSON ({exc})") from exc
        if meta.get("format") != FORMAT:
            raise ValueError(f"{self.path}: backfill format {meta.get('format')!r} (need {FORMAT})")
        self.model_name = str(meta["model"])
        self.dim = int(meta["dim"])
        self.vectors = np.load(self.path / "vectors.npy", mmap_mode="r")
        keys = np.load(self.path / "keys.npy")
        if self.vectors.shape != (int(meta["rows"]), self.dim) or len(keys) != len(self.vectors):
            raise ValueError(f"{self.path}: vectors, keys and meta.json disagree on the rows")
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]

    def __len__(self) -> int:
        return len(self.vectors)

    def rows_of(self, keys: KeyArray) -> npt.NDArray[np.int64]:
        """The row holding each key, or -1."""
        if len(self._sorted) == 0:
            return np.full(len(keys), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._sorted, keys), len(self._sorted) - 1)
        found = self._sorted[pos] == keys
        return np.where(found, self._order[pos], -1).astype(np.int64)

    def read(self, rows: npt.NDArray[np.int64]) -> FloatArray:
        """Unit float32 vectors of ``rows`` (any order)."""
        order = np.argsort(rows, kind="stable")
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        out[order] = np.asarray(self.vectors[rows[order]], dtype=np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


class PrecomputedEmbedder:
    """``base`` with a backfill's vectors in front: texts the file holds are not embedded."""

    def __init__(self, base: Embedder, vectors: VectorFile) -> None:
        if vectors.model_name != base.model_name or vectors.dim != base.dim:
            raise ValueError(
                f"{vectors.path} holds vectors of {vectors.model_name} ({vectors.dim} "
                f"dimensions); the index uses {base.model_name} ({base.dim})"
            )
        self.base = base
        self.vectors = vectors
        self.model_name = base.model_name
        self.dim = base.dim
        self.from_file = 0
        self.computed = 0

    def embed(self, texts: Sequence[str]) -> FloatArray:
        rows = self.vectors.rows_of(vector_keys(self.model_name, texts))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        hit = rows >= 0
        if hit.any():
            out[hit] = self.vectors.read(rows[hit])
        missing = np.flatnonzero(~hit)
        if len(missing):
            out[missing] = self.base.embed([texts[int(i)] for i in missing])
        self.from_file += int(hit.sum())
        self.computed += len(missing)
        return out

    def embed_query(self, text: str) -> FloatArray:
        return self.base.embed_query(text)


# -- the backfill ----------------------------------------------------------------------------


def _init_worker() -> None:
    global _tokenizer  # noqa: PLW0603 (one tokenizer per worker process)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # the workers are the parallelism
    from tokenizers import Tokenizer

    _tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    _tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    _tokenizer.no_padding()


Batch = tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int32]]


def tokenise_block(args: tuple[int, list[str], int]) -> tuple[int, list[Batch]]:
    """Tokenise one block into length-sorted padded batches: (positions, ids, mask)."""
    start, texts, batch_size = args
    encoded = [e.ids for e in _tokenizer.encode_batch(texts)]
    lengths = np.fromiter((len(ids) for ids in encoded), dtype=np.int64, count=len(encoded))
    order = np.argsort(lengths, kind="stable")
    batches: list[Batch] = []
    for lo in range(0, len(order), batch_size):
        part = order[lo : lo + batch_size]
        width = int(lengths[part].max())
        ids = np.zeros((len(part), width), dtype=np.int32)
        mask = np.zeros((len(part), width), dtype=np.int32)
        for j, i in enumerate(part.tolist()):
            ids[j, : lengths[i]] = encoded[i]
            mask[j, : lengths[i]] = 1
        batches.append((part.astype(np.int64), ids, mask))
    return start, batches


@dataclass
class Backfilled:
    papers: int  # in the snapshot (or its first ``limit``)
    embedded: int  # by this run
    resumed: int  # found in blocks an earlier, interrupted run had finished
    seconds: float


def _plan(snapshot: Path, block_size: int, limit: int | None) -> dict[str, Any]:
    stat = snapshot.stat()
    return {
        "snapshot": snapshot.name,
        "bytes": stat.st_size,
        "modified": int(stat.st_mtime),
        "block_size": block_size,
        "limit": limit,
        "model": MODEL_NAME,
    }


def backfill(
    snapshot: Path,
    out: Path,
    *,
    device: str = "cuda",
    workers: int = 4,
    batch_size: int = 256,
    block_size: int = 8192,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Backfilled:
    """Embed every paper of ``snapshot`` into the folder ``out`` (see the module's text).

    ``progress(done, resumed)`` is called after each block. Blocks finished by an earlier run
    of the same snapshot, block size and limit are read back, not embedded again.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    started = time.perf_counter()
    blocks_dir = out / "blocks"
    plan = _plan(snapshot, block_size, limit)
    plan_file = blocks_dir / "plan.json"
    finished = _finished_folder(out, plan)
    if finished is not None:  # the same command again, after it ended
        return Backfilled(finished, 0, finished, time.perf_counter() - started)
    blocks_dir.mkdir(parents=True, exist_ok=True)
    (out / "meta.json").unlink(missing_ok=True)  # the folder is unfinished until the end
    if plan_file.exists():
        if json.loads(plan_file.read_text(encoding="utf-8")) != plan:
            raise ValueError(
                f"{out} holds blocks of another snapshot or block size: choose another "
                "folder or delete it"
            )
    else:
        atomic_write_bytes(plan_file, json.dumps(plan).encode())

    def block_path(start: int) -> Path:
        return blocks_dir / f"{start:012d}.npy"

    quiet_loading()
    model = SentenceTransformer(str(model_path()), device=device)
    encoder: Any = model[0].auto_model
    encoder.eval()
    if device != "cpu":
        encoder = encoder.half()
    texts = snapshot_texts(snapshot)
    if limit is not None:
        texts = itertools.islice(texts, limit)
    ids: list[str] = []
    keys: list[KeyArray] = []
    sizes: list[tuple[int, int]] = []
    resumed = [0]
    # The pool reads blocks from ``todo`` in a thread of its own, as fast as the workers
    # tokenise them; tokenised blocks the model has not taken yet are held in memory, so
    # only a few may be ahead of it.
    ahead = threading.Semaphore(max(workers, 1) + 2)
    stopping = threading.Event()

    def todo() -> Iterator[tuple[int, list[str], int]]:
        """Blocks still to embed (the ids and keys of every block are kept on the way)."""
        block: list[str] = []
        start = 0

        def flush() -> Iterator[tuple[int, list[str], int]]:
            keys.append(vector_keys(MODEL_NAME, block))
            sizes.append((start, len(block)))
            if _finished_block(block_path(start), len(block)):
                resumed[0] += len(block)
            else:
                while not ahead.acquire(timeout=0.1):
                    if stopping.is_set():
                        return
                yield start, list(block), batch_size

        for paper_id, text in texts:
            if stopping.is_set():
                return
            ids.append(paper_id)
            block.append(text)
            if len(block) == block_size:
                yield from flush()
                start += len(block)
                block = []
        if block:
            yield from flush()

    embedded = 0
    ctx = mp.get_context("spawn")
    with ctx.Pool(max(workers, 1), initializer=_init_worker) as pool, torch.inference_mode():
        try:
            for start, batches in pool.imap(tokenise_block, todo()):
                embedded += _embed_block(encoder, batches, device, block_path(start))
                ahead.release()
                if progress:
                    progress(embedded + resumed[0], resumed[0])
        except BaseException:
            # Interrupted (Ctrl-C) or failed: the pool's reading thread stops at once, and
            # the few blocks already handed out are let finish before the pool goes.
            # Terminating workers in the middle (what leaving the pool's ``with`` does) can
            # leave its task thread waiting forever on a queue lock.
            stopping.set()
            pool.close()
            pool.join()
            raise
        finally:
            stopping.set()  # lets the pool's reading thread end when this one fails
    if progress and embedded == 0:
        progress(resumed[0], resumed[0])

    matrix = np.empty((len(ids), DIM), dtype=np.float16)
    for start, size in sizes:
        matrix[start : start + size] = np.load(block_path(start))
    all_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)
    write_vectors(out, ids, all_keys, matrix, MODEL_NAME, source=plan)
    shutil.rmtree(blocks_dir)
    return Backfilled(len(ids), embedded, resumed[0], time.perf_counter() - started)


def _finished_folder(out: Path, plan: dict[str, Any]) -> int | None:
    """The rows of ``out`` when a run of ``plan`` finished it; None when it is unfinished or
    new. The finished vectors of another snapshot are never written over."""
    try:
        meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{out}/meta.json cannot be read ({exc})") from exc
    if meta.get("source") != plan:
        raise ValueError(
            f"{out} holds the finished vectors of another snapshot or block size: choose "
            "another folder or delete it"
        )
    return int(meta["rows"])


def _finished_block(path: Path, rows: int) -> bool:
    """Whether an earlier run left this block whole (files are written whole or not at all)."""
    if not path.exists():
        return False
    try:
        shape = np.load(path, mmap_mode="r").shape
    except (OSError, ValueError):
        return False
    return bool(shape == (rows, DIM))


def _embed_block(encoder: Any, batches: list[Batch], device: str, path: Path) -> int:
    """Run the model over one tokenised block and save its vectors to ``path``."""
    import torch

    size = sum(len(positions) for positions, _, _ in batches)
    pooled_all = torch.empty((size, DIM), dtype=torch.float16, device=device)
    for positions, token_ids, mask in batches:
        input_ids = torch.from_numpy(token_ids).to(device).long()
        attention = torch.from_numpy(mask).to(device)
        hidden = encoder(input_ids=input_ids, attention_mask=attention).last_hidden_state
        weights = attention.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1).float() / weights.sum(1).float().clamp(min=1)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        pooled_all[torch.from_numpy(positions).to(device)] = pooled.half()
    _save_array(path, pooled_all.cpu().numpy())  # one wait for the device a block
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("out", type=Path, help="the folder to write (or to go on with)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workers", type=int, default=max(1, min(16, (os.cpu_count() or 2) - 1)))
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--block-size", type=int, default=8192)
    parser.add_argument("--limit", type=int, help="only the first LIMIT papers")
    args = parser.parse_args()
    started = time.perf_counter()
    last = [0.0]

    def report(done: int, resumed: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 10:
            last[0] = now
            rate = (done - resumed) / max(now - started, 1e-9)
            note = f" ({resumed:,} from an earlier run)" if resumed else ""
            print(f"  {done:,} papers{note}, {rate:,.0f}/s", file=sys.stderr, flush=True)

    try:
        result = backfill(
            args.snapshot,
            args.out,
            device=args.device,
            workers=args.workers,
            batch_size=args.batch_size,
            block_size=args.block_size,
            limit=args.limit,
            progress=report,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: the finished blocks are in {args.out / 'blocks'}; "
            "run the same command again to go on",
            file=sys.stderr,
        )
        raise SystemExit(130) from None
    if result.embedded == 0 and result.resumed == result.papers:
        print(f"{result.papers:,} papers in {args.out}: finished before, nothing to do")
        return
    rate = result.embedded / max(result.seconds, 1e-9)
    print(
        f"{result.papers:,} papers in {args.out}: {result.embedded:,} embedded in "
        f"{result.seconds:.0f} s ({rate:,.0f}/s), {result.resumed:,} from an earlier run"
    )


if __name__ == "__main__":
    main()
