"""Stored vectors are read row by row from their file, as a numpy array would give them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from papersearch.storage import RowFile, append_rows


def test_rows_slices_and_row_arrays_read_as_from_the_array(tmp_path) -> None:
    data = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float16)
    path = tmp_path / "vectors.f16"
    path.touch()
    size = append_rows(path, data, 0)
    append_rows(path, data[:5], size)  # bytes past the valid rows are never read
    rows = RowFile(path, np.float16, 50, 8)
    assert len(rows) == 50 and rows.shape == (50, 8)
    assert np.array_equal(rows[7], data[7])
    assert np.array_equal(rows[-1], data[-1])
    assert np.array_equal(rows[10:20], data[10:20])
    assert np.array_equal(rows[::7], data[::7])
    picks = np.array([30, 3, 4, 5, 49, 0, 4])  # unsorted, runs and a repeat
    assert np.array_equal(rows[picks], data[picks])
    assert np.array_equal(np.asarray(rows, dtype=np.float32), data.astype(np.float32))
    assert rows[np.array([], dtype=np.int64)].shape == (0, 8)
    with pytest.raises(IndexError):
        rows[50]
    with pytest.raises(IndexError):
        rows[np.array([1, 50])]


def test_long_runs_of_rows_are_read_in_pieces(tmp_path, monkeypatch) -> None:
    from papersearch import storage

    monkeypatch.setattr(storage, "IOV_ROWS", 4)  # the kernel's cap is 1024 buffers a read
    data = np.arange(40 * 3, dtype=np.float32).reshape(40, 3)
    path = tmp_path / "vectors.f32"
    path.touch()
    append_rows(path, data, 0)
    rows = RowFile(path, np.float32, 40, 3)
    picks = np.array([*range(5, 30), 2, 38, 39])
    assert np.array_equal(rows[picks], data[picks])
    big = np.arange(40)[::-1].repeat(2)
    assert np.array_equal(rows[big], data[big])


def test_a_search_maps_no_vector_pages(small_index) -> None:
    # The vectors stay out of the process's mappings: re-scoring reads the rows it needs.
    small_index.search("diffusion models", mode="dense")
    mapped = Path("/proc/self/maps").read_text(encoding="utf-8")
    assert small_index.generation.manifest.files.vectors not in mapped


def test_a_window_of_rows_side_by_side_is_read_whole_and_in_any_order(tmp_path) -> None:
    data = np.random.default_rng(1).normal(size=(3000, 4)).astype(np.float16)
    path = tmp_path / "vectors.f16"
    path.touch()
    append_rows(path, data, 0)
    rows = RowFile(path, np.float16, 3000, 4)
    window = np.arange(1000, 2900)  # new papers, stored side by side
    assert np.array_equal(rows[window], data[window])
    gappy = np.concatenate([np.arange(10, 700), np.arange(701, 2000, 3), [2999, 5, 5]])
    assert np.array_equal(rows[gappy], data[gappy])
    shuffled = np.random.default_rng(2).permutation(window)
    assert np.array_equal(rows[shuffled], data[shuffled])
    halves = np.concatenate([np.arange(1500, 3000), np.arange(0, 1500)])  # two runs swapped
    assert np.array_equal(rows[halves], data[halves])
