"""One search query's vector: all-MiniLM-L6-v2 run by ONNX Runtime.

The graph is exported once from the installed model package (``torch.onnx.export`` of the
BERT encoder, mean pooling and normalisation, then ONNX Runtime's transformer optimizer fuses
its attention, layer norms and GELUs), checked against the float32 ``SentenceTransformer``
and kept as a file in a cache folder; a process that finds the file needs neither torch nor
the model loaded to embed queries. The export takes a few seconds and needs no network.

Two precisions: ``float32`` gives the model's vectors (cosine 0.9999 or more), ``int8``
(the default of ``MiniLMEmbedder``) quantizes the weights of every matrix product per output
channel and the activations per call (ONNX Runtime's dynamic quantization), 2.5 times
faster for a typed query, its vectors at cosine 0.97-0.99 of the model's; the rankings it
gives were measured level with float32's (docs/search.md).

``onnxruntime`` is imported when this module is (``papersearch`` imports it before the
index): onnxruntime 1.23 and later crash in their own initialisation when imported after
usearch's compiled module (a call through a C++ locale facet of the wrong type; usearch's
module carries its own copy of the C++ standard library); imported first, both work.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from papersearch.types import FloatArray

logger = logging.getLogger(__name__)

MAX_SEQ_LENGTH = 256
PRECISIONS = ("float32", "int8")
# The lowest cosine to the float32 model's vectors a graph must reach on ``PROBES``, by
# precision: float32 is the same arithmetic in another order; int8 reaches 0.973 or more on
# 400 typed title prefixes and 0.983 on the tests' titles and queries, while a graph that is
# wrong (another text's vectors) is far below.
AGREEMENTS = {"float32": 0.9999, "int8": 0.97}
AGREEMENT = AGREEMENTS["float32"]
PROBES = (
    "graph neural networks",
    "a",
    "reward model overoptimization in large language models",
    "Über $\\mathcal{O}(n \\log n)$ Schranken",
)
# Part of the cached file's name: a change to how the graph is made makes a new file.
RECIPES = {"float32": "minilm-query-1", "int8": "minilm-query-int8-1"}
_PROBES_KEY = "papersearch.probes"


class EncoderDisagrees(ValueError):
    """The exported graph's vectors are not those of the float32 model."""


class QueryEncoder:
    """Unit vectors of single texts from an ONNX graph of the model (a file or its bytes).

    One text has no padding; the tokenizer is the model package's, truncating at 256 tokens
    as the ``SentenceTransformer`` does. Safe to call from several threads at once.
    """

    def __init__(self, graph: Path | bytes, model_dir: Path, threads: int | None = None) -> None:
        """``threads``: ONNX Runtime's threads for one query; None: ``OMP_NUM_THREADS`` where
        it is set (as torch reads it; a web process sets 1), else one a core."""
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = _threads(threads)
        options.inter_op_num_threads = 1
        # Idle pool threads that spin take the CPU from the other half of a search.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            graph if isinstance(graph, bytes) else str(graph),
            options,
            providers=["CPUExecutionProvider"],
        )
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_SEQ_LENGTH)
        tokenizer.no_padding()
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> FloatArray:
        ids = np.array([self.tokenizer.encode(text).ids], dtype=np.int64)
        (vectors,) = self.session.run(None, {"input_ids": ids})
        row: FloatArray = vectors[0]
        return row

    def agreement(self, texts: Sequence[str], reference: FloatArray) -> float:
        """The lowest cosine between this encoder's vectors of ``texts`` and ``reference``."""
        return min(float(self(text) @ reference[i]) for i, text in enumerate(texts))

    def stored_probes(self) -> FloatArray | None:
        """The float32 model's vectors of ``PROBES``, as written into the graph at export."""
        stored = self.session.get_modelmeta().custom_metadata_map.get(_PROBES_KEY)
        if stored is None:
            return None
        return np.asarray(json.loads(stored), dtype=np.float32)


def _threads(threads: int | None) -> int:
    """The thread count for ONNX Runtime, 0 being its default (one a core)."""
    if threads is not None:
        return threads
    try:
        return max(0, int(os.environ.get("OMP_NUM_THREADS", "0")))
    except ValueError:
        return 0


def _check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"query encoder precision must be one of {PRECISIONS}, not {precision!r}")


def cache_key(model_dir: Path, precision: str = "float32") -> str:
    """The cached graph's name for this model package: the recipe (which names the precision)
    and the model files' sizes and modification times (a reinstalled or changed package
    makes a new file)."""
    _check_precision(precision)
    recipe = RECIPES[precision]
    digest = hashlib.blake2b(recipe.encode(), digest_size=8)
    for name in ("config.json", "model.safetensors"):
        stat = (model_dir / name).stat()
        digest.update(f"\0{name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return f"{recipe}-{digest.hexdigest()}.onnx"


def export(
    model_dir: Path, probes: FloatArray, *, fuse: bool = True, precision: str = "float32"
) -> bytes:
    """The ONNX graph of the model in ``model_dir``: token ids (one text, no padding) in, a
    unit vector out, fused for ONNX Runtime, its weights quantized for ``precision="int8"``;
    ``probes`` (the float32 model's vectors of ``PROBES``) are written into it, to check the
    graph against whenever it is opened. ``fuse=False`` leaves out the transformer optimizer
    (for the bench)."""
    _check_precision(precision)
    import warnings

    import onnx
    import torch
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    # Eager attention with an explicit mask is the graph the optimizer recognises and fuses
    # into one Attention node a layer (the SDPA form stays as 20-odd nodes a layer).
    bert: Any = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    config = bert.config

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            return torch.nn.functional.normalize(hidden.mean(1), dim=-1)

    with (
        tempfile.TemporaryDirectory() as folder,
        torch.inference_mode(),
        warnings.catch_warnings(),
    ):
        # What the tracer says of this model, and why it does not matter here: it records
        # the mask's padding check as a constant (the mask is the text's own length, so no
        # padding whatever the length), and the mask's indexing as Gather nodes (its indices
        # are ranges, never negative). The tests check texts of 1 to 256 tokens.
        warnings.filterwarnings("ignore", "Converting a tensor to a Python boolean")
        warnings.filterwarnings("ignore", "Exporting aten::index operator")
        warnings.filterwarnings("ignore", "You are using the legacy TorchScript-based")
        warnings.filterwarnings("ignore", "The feature will be removed")
        exported = Path(folder) / "encoder.onnx"
        torch.onnx.export(
            Encoder().eval(),
            (torch.tensor([[101, 7592, 102]]),),
            exported,
            input_names=["input_ids"],
            output_names=["vector"],
            dynamic_axes={"input_ids": {1: "tokens"}},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter, which needs no onnxscript
        )
        graph = onnx.load(exported)
    if fuse:
        # opt_level 0: the optimizer's own fusions only, no hardware-specific rewrites.
        fused = optimize_model(
            graph,
            model_type="bert",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
            opt_level=0,
        )
        graph = fused.model
    if precision == "int8":
        graph = _quantized(graph)
    proto: onnx.ModelProto = graph
    entry = proto.metadata_props.add()
    entry.key = _PROBES_KEY
    entry.value = json.dumps(np.round(probes.astype(np.float64), 7).tolist())
    data: bytes = proto.SerializeToString()
    return data


def _quantized(graph: Any) -> Any:
    """``graph`` with the weights of its matrix products in int8, one scale an output channel
    (per tensor, the vectors fell to cosine 0.85 of the model's on some queries), and the
    activations quantized as each call comes."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    proto: onnx.ModelProto = graph
    # The fused operators are ONNX Runtime's own; the quantizer's shape inference must be
    # told where they come from, and that what it cannot infer is float32.
    if not any(entry.domain == "com.microsoft" for entry in proto.opset_import):
        proto.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "float32.onnx", Path(folder) / "int8.onnx"
        onnx.save(proto, source)
        root = logging.getLogger()
        root.addFilter(_no_advice)  # it logs advice to pre-process the graph on the root logger
        try:
            quantize_dynamic(
                source,
                target,
                per_channel=True,
                weight_type=QuantType.QInt8,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            root.removeFilter(_no_advice)
        return onnx.load(target)


def _no_advice(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("Please consider to run pre-processing")


def open_encoder(
    model_dir: Path,
    cache_dir: Path | None,
    reference: Callable[[Sequence[str]], FloatArray],
    threads: int | None = None,
    precision: str = "float32",
) -> QueryEncoder:
    """The query encoder from the graph cached in ``cache_dir``, exported first where there is
    none (or it no longer agrees); ``reference`` embeds texts with the float32 model.

    Of several processes starting at once (a server's web processes), one exports while the
    others wait for its file. Raises ``EncoderDisagrees`` if a freshly exported graph is not
    within ``AGREEMENTS[precision]`` of the reference. Where ``cache_dir`` is None or cannot
    be written, the graph stays in memory.
    """
    if cache_dir is None:
        return _export_checked(model_dir, reference, threads, precision)[0]
    path = cache_dir / cache_key(model_dir, precision)
    encoder = _open_cached(path, model_dir, threads, precision)
    if encoder is not None:
        return encoder
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        lock = (cache_dir / ".export.lock").open("a")
    except OSError as exc:
        logger.warning("query encoder not cached in %s: %s", cache_dir, exc)
        return _export_checked(model_dir, reference, threads, precision)[0]
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        # made by another process meanwhile?
        encoder = _open_cached(path, model_dir, threads, precision)
        if encoder is not None:
            return encoder
        encoder, graph = _export_checked(model_dir, reference, threads, precision)
        try:
            _write_atomically(path, graph)
        except OSError as exc:
            logger.warning("query encoder not cached in %s: %s", cache_dir, exc)
    return encoder


def _open_cached(
    path: Path, model_dir: Path, threads: int | None, precision: str
) -> QueryEncoder | None:
    """The encoder of the cached graph; None where there is none, or it is damaged or does
    not give the vectors it was checked with."""
    if not path.exists():
        return None
    try:
        encoder = QueryEncoder(path, model_dir, threads)
        probes = encoder.stored_probes()
        if probes is not None and encoder.agreement(PROBES, probes) >= AGREEMENTS[precision]:
            return encoder
        logger.warning("cached query encoder %s disagrees; exporting it again", path)
    except Exception:  # a damaged file: export it again
        logger.warning("cached query encoder %s unreadable; exporting it again", path)
    return None


def _export_checked(
    model_dir: Path,
    reference: Callable[[Sequence[str]], FloatArray],
    threads: int | None,
    precision: str,
) -> tuple[QueryEncoder, bytes]:
    probes = reference(list(PROBES))
    graph = export(model_dir, probes, precision=precision)
    encoder = QueryEncoder(graph, model_dir, threads)
    agreement = encoder.agreement(PROBES, probes)
    if agreement < AGREEMENTS[precision]:
        raise EncoderDisagrees(f"exported query encoder disagrees (cosine {agreement:.5f})")
    return encoder, graph


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader finds the whole file or none."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        Path(tmp).chmod(0o644)  # readable by the server's other users, as a plain file is
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/papersearch``, or ``~/.cache/papersearch``."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "papersearch"
