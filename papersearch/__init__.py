"""The search core of Daily Papers: BM25, MiniLM vectors and their fusion (no Django here).

index = SearchIndex.open("var/search", embedder=MiniLMEmbedder())
index.add([Document(id="2501.00001", title="...", abstract="...")])
results = index.search('"diffusion model" -video cat:cs.CV', Filters(has_code=True))
"""

# onnxruntime before usearch (papersearch.index), whichever module a program imports: see
# papersearch.query_encoder.
from papersearch import query_encoder as query_encoder
from papersearch.embed import Embedder, MiniLMEmbedder
from papersearch.index import IndexConfig, SearchIndex
from papersearch.lexical import highlight_terms
from papersearch.profiles import Pick, Profile, RecommendConfig, build_profiles
from papersearch.types import Document, Filters, Hit, Mode, SearchResults, Snippet, Sort, Stats

__all__ = [
    "Document",
    "Embedder",
    "Filters",
    "Hit",
    "IndexConfig",
    "MiniLMEmbedder",
    "Mode",
    "Pick",
    "Profile",
    "RecommendConfig",
    "SearchIndex",
    "SearchResults",
    "Snippet",
    "Sort",
    "Stats",
    "build_profiles",
    "highlight_terms",
]
