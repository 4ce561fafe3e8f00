"""Loading the model prints no progress bars: servers and workers load it, and their logs are
read, not watched."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_model_draws_no_progress_bar():
    code = (
        "from papersearch.embed import load_model\n"
        "model = load_model()\n"
        "print(model.get_sentence_embedding_dimension())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert result.stdout.strip() == "384"
    assert "Loading weights" not in result.stderr
    assert "it/s" not in result.stderr
