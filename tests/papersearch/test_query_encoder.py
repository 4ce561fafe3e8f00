"""The query encoder (ONNX Runtime) against the reference: the float32 SentenceTransformer."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from papersearch.embed import load_model, model_path, plain_encode
from papersearch.query_encoder import (
    AGREEMENT,
    AGREEMENTS,
    MAX_SEQ_LENGTH,
    EncoderDisagrees,
    QueryEncoder,
    cache_key,
    open_encoder,
)

REPO = Path(__file__).resolve().parents[2]

# Real arXiv titles (CC0 metadata), with their LaTeX and Unicode as arXiv has them.
TITLES = [
    "[Science Robotics] Learning Agile and Dynamic Motor Skills for Legged Robots.",
    "Edge-state transport in twisted bilayer graphene",
    "Enhanced Multi-Tuple Extraction for Alloys: Integrating Pointer Networks and Augmented "
    "Attention",
    "Kinship in Speech: Leveraging Linguistic Relatedness for Zero-Shot TTS in Indian Languages",
    "AniMaker: Automated Multi-Agent Animated Storytelling with MCTS-Driven Clip Generation",
    "Taming Diffusion Transformer for Real-Time Mobile Video Generation",
    "LongReasonArena: A Long Reasoning Benchmark for Large Language Models",
    "Deriving accurate galaxy cluster masses using X-ray thermodynamic profiles and graph "
    "neural networks",
    "Temporal vs. Spatial: Comparing DINOv3 and V-JEPA2 Feature Representations for Video "
    "Action Analysis",
    "YOLO-Drone: An Efficient Object Detection Approach Using the GhostHead Network for Drone "
    "Images",
    "Quasi-quartet crystal electric field ground state in a tetragonal CeAg$_2$Ge$_2$ single "
    "crystal",
    "Fermi-liquid effects in the transresistivity in quantum Hall double layers near $\\nu= 1/2 $",
    "Complete Set of Polarization Transfer Observables for the $^{12}{\\rm C}(p,n)$ Reaction at "
    "296 MeV and 0$^{\\circ}$",
    "Bose-Einstein correlations of direct photons in Au+Au collisions at $\\sqrt{s_{NN}} = 200$ "
    "GeV",
    "Comparaison entre cohomologie cristalline et cohomologie \\'etale $p$-adique sur certaines "
    "vari\\'et\\'es de Shimura",
    "On $L^{1}$-Convergence of Fourier Series Under $MVBV$ Condition",
    "[2025] [Physical Intelligence] π0.5: A Vision-Language-Action Model with Open-World "
    "Generalization",
    "MorpheuS: Neural Dynamic 360° Surface Reconstruction from Monocular RGB-D Video",
    "Ab-initio variational wave functions for the time-dependent many-electron Schrödinger "
    "equation",
    "Quasi-van der Waals Epitaxial Growth of γ'-GaSe Thin Films on GaAs(111)B Substrates",  # noqa: RUF001
    "Mesoscale Molecular Simulations of Fabry-Pérot Vibrational Strong Coupling",
    "Enhancing Stability, Magnetic Anisotropy, and Coercivity of $τ$-L$1_0$ MnAl: Machine "
    "Learning, $\\textit{Ab Initio}$, and Micromagnetic Modeling",
]
QUERIES = [
    "graph neural networks",
    "diffusion",
    "chain of thought reasoning",
    "dark matter halos",
    "cat:cs.CV segmentation",
    "Schrödinger",
    "量子计算",
    "Ζ-function zeros",  # noqa: RUF001 (a Greek capital zeta, as in a title)
    "🤖 robot learning",
    "$\\alpha$-stable processes",
    "x",
    "",
    "   ",
]
LONG = " ".join(TITLES * 3)  # several hundred tokens: cut at 256, as the reference does


@pytest.fixture(scope="module")
def reference_model():
    return load_model()


@pytest.fixture(scope="module")
def encoder(reference_model, query_encoder_cache: Path) -> QueryEncoder:
    return open_encoder(
        model_path(), query_encoder_cache, lambda texts: plain_encode(reference_model, texts)
    )


@pytest.fixture(scope="module")
def int8_encoder(reference_model, query_encoder_cache: Path) -> QueryEncoder:
    return open_encoder(
        model_path(),
        query_encoder_cache,
        lambda texts: plain_encode(reference_model, texts),
        precision="int8",
    )


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_agrees_with_the_reference_model(
    precision, encoder, int8_encoder, reference_model, query_encoder_cache
) -> None:
    chosen = encoder if precision == "float32" else int8_encoder
    texts = TITLES + QUERIES + [LONG]
    assert len(chosen.tokenizer.encode(LONG).ids) == MAX_SEQ_LENGTH
    vectors = np.stack([chosen(text) for text in texts])
    reference = plain_encode(reference_model, texts)
    assert vectors.shape == (len(texts), 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= AGREEMENTS[precision], texts[int(np.argmin(cosines))]
    # each precision is kept in a file of its own
    assert (query_encoder_cache / cache_key(model_path(), precision)).is_file()


def test_the_int8_graph_is_smaller_and_not_the_float32_one(
    encoder, int8_encoder, query_encoder_cache
) -> None:
    """Quantized for real: its vectors differ from float32's (a little), and its file is
    about a quarter of the size."""
    f32, i8 = encoder("surface codes"), int8_encoder("surface codes")
    assert not np.array_equal(f32, i8)
    assert float(f32 @ i8) >= AGREEMENTS["int8"]
    size = {
        p: (query_encoder_cache / cache_key(model_path(), p)).stat().st_size for p in AGREEMENTS
    }
    assert size["int8"] < size["float32"] / 3


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision must be one of"):
        cache_key(model_path(), "int4")


def test_the_exported_graph_is_kept_and_opened_without_the_model(
    encoder, query_encoder_cache
) -> None:
    cached = query_encoder_cache / cache_key(model_path())
    assert cached.is_file()

    def no_reference(texts):
        raise AssertionError("the cached graph should not need the reference model")

    again = open_encoder(model_path(), query_encoder_cache, no_reference)
    assert np.array_equal(again("surface codes"), encoder("surface codes"))


def test_a_damaged_cached_graph_is_exported_again(reference_model, tmp_path) -> None:
    cached = tmp_path / cache_key(model_path())
    cached.write_bytes(b"not an onnx graph")
    asked: list[str] = []

    def reference(texts):
        asked.extend(texts)
        return plain_encode(reference_model, texts)

    encoder = open_encoder(model_path(), tmp_path, reference)
    assert asked  # exported again, and checked against the reference
    assert cached.stat().st_size > 1_000_000
    assert float(encoder("graph neural networks") @ reference(["graph neural networks"])[0]) >= (
        AGREEMENT
    )


def test_a_graph_that_disagrees_is_not_kept(reference_model, tmp_path) -> None:
    """A graph is checked against the reference when it is made; here the reference answers
    with the vectors of other texts, so the check fails, and nothing is cached."""

    def other_texts(texts):
        return plain_encode(reference_model, [t + " and dark matter halos" for t in texts])

    with pytest.raises(EncoderDisagrees, match="disagrees"):
        open_encoder(model_path(), tmp_path, other_texts)
    assert not list(tmp_path.glob("*.onnx*"))


def test_a_process_waits_for_the_graph_another_is_exporting(
    encoder, query_encoder_cache, tmp_path
) -> None:
    """While another process holds the export lock, the encoder waits, then opens the file
    that one wrote instead of exporting its own."""
    name = cache_key(model_path())
    asked: list[str] = []
    opened: list[QueryEncoder] = []

    def reference(texts):
        asked.extend(texts)
        raise AssertionError("should have waited for the other export")

    with (tmp_path / ".export.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = threading.Thread(
            target=lambda: opened.append(open_encoder(model_path(), tmp_path, reference))
        )
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive()  # blocked on the lock
        shutil.copyfile(query_encoder_cache / name, tmp_path / name)
    waiting.join(timeout=60)
    assert not asked
    assert np.array_equal(opened[0]("surface codes"), encoder("surface codes"))


def test_works_when_the_index_is_imported_first(encoder, query_encoder_cache) -> None:
    """onnxruntime crashes at import after usearch: papersearch imports it first, whichever of
    its modules a program imports."""
    script = textwrap.dedent(
        f"""
        import papersearch.dense
        from pathlib import Path
        from papersearch.embed import model_path
        from papersearch.query_encoder import QueryEncoder, cache_key
        graph = Path({str(query_encoder_cache)!r}) / cache_key(model_path())
        print(QueryEncoder(graph, model_path())("graph neural networks").shape)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(384,)"
