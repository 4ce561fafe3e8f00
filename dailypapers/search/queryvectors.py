"""Query vectors shared by every process: a query embedded once is not embedded again.

Each web process keeps its recent queries' vectors (``MiniLMEmbedder``'s own cache), but a
reader's next request often lands on another process, and many readers search the same
things (a trending paper's title, a topic of the day). ``SharedQueryVectors`` wraps the model:
a query's vector is looked for in this process's memory, then in Django's cache (Redis in
production, the SQLite cache of the data folder in embedded mode), and only then computed, and
put in both. A vector is 384 float32 (1.5 KB); it is kept ``QUERY_VECTOR_SECONDS``. Paper
texts (``embed``) go to the model as they come."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from django.conf import settings
from django.core.cache import cache

from papersearch import Embedder
from papersearch.types import FloatArray

LOCAL_QUERIES = 2048


class SharedQueryVectors:
    def __init__(self, model: Embedder) -> None:
        self.model = model
        self.model_name = model.model_name
        # a vector of another precision is another vector: switching takes effect at once
        self._variant = str(getattr(model, "query_precision", ""))
        self.dim = model.dim
        self._recent: OrderedDict[str, FloatArray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> FloatArray:
        return self.model.embed(texts)

    def embed_query(self, text: str) -> FloatArray:
        with self._lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
                return vector
        key = self.key(text)
        kept = cache.get(key)
        if isinstance(kept, bytes) and len(kept) == 4 * self.dim:
            vector = np.frombuffer(kept, dtype=np.float32)  # read-only, as the model's
        else:
            vector = np.ascontiguousarray(self.model.embed_query(text), dtype=np.float32)
            cache.set(key, vector.tobytes(), timeout=settings.QUERY_VECTOR_SECONDS)
        with self._lock:
            self._recent[text] = vector
            while len(self._recent) > LOCAL_QUERIES:
                self._recent.popitem(last=False)
        return vector

    def key(self, text: str) -> str:
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
        digest.update(b"\0" + self.model_name.encode() + b"\0" + self._variant.encode())
        return f"qv:{self.dim}:{digest.hexdigest()}"

    def __getattr__(self, name: str) -> object:
        return getattr(self.model, name)  # warm_up, device, ... of the model
