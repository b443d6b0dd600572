"""Gathering blocks of rows into one array (sampling, inverse_transform)."""

import gc
import weakref

import numpy as np
import pytest

from sksynth.utils._blocks import stacked, stacked_chunks


def _blocks(sizes, width=3, seen=None):
    """Float32 blocks of ``sizes`` rows; with ``seen``, checks that each block is
    gone (copied and dropped by the caller) before the next one is made."""
    rng = np.random.default_rng(0)
    previous = None
    for size in sizes:
        if seen is not None and previous is not None:
            gc.collect()
            seen.append(previous() is None)
        held = [rng.standard_normal((size, width)).astype(np.float32)]
        previous = weakref.ref(held[0])
        yield held.pop()  # this frame keeps no reference


@pytest.mark.parametrize("order", ["C", "F"])
def test_stacked_is_the_concatenation(order):
    sizes = [5, 5, 2]
    out = stacked(_blocks(sizes), 12, order=order)
    expected = np.concatenate(list(_blocks(sizes)))
    assert out.dtype == np.float32 and np.array_equal(out, expected)
    assert out.flags[f"{order}_CONTIGUOUS"]
    # no rows, one empty block: an empty array of the blocks' width
    assert stacked(_blocks([0]), 0).shape == (0, 3)


def test_blocks_are_dropped_once_copied():
    seen = []
    stacked(_blocks([4, 4, 4], seen=seen), 12)
    assert seen == [True, True]


@pytest.mark.parametrize("sizes, n", [([4, 4], 9), ([4, 4], 7), ([], 0)])
def test_row_count_checked(sizes, n):
    with pytest.raises(ValueError, match="rows"):
        stacked(_blocks(sizes), n)


@pytest.mark.parametrize("sizes, chunk", [([5, 5, 2], 4), ([5, 5, 2], 5), ([3, 9], 12), ([12], 5)])
def test_stacked_chunks_split_the_concatenation(sizes, chunk):
    # blocks are split where a chunk ends (sample_chunks concatenated its buffer,
    # then the decoder copied it column-major)
    expected = np.concatenate(list(_blocks(sizes)))
    chunks = list(stacked_chunks(_blocks(sizes), len(expected), chunk, order="F"))
    assert [len(c) for c in chunks] == [min(chunk, 12 - s) for s in range(0, 12, chunk)]
    assert all(c.flags["F_CONTIGUOUS"] for c in chunks)
    assert np.array_equal(np.concatenate(chunks), expected)


def test_stacked_chunks_hold_a_chunk_and_a_block():
    seen = []
    for _ in stacked_chunks(_blocks([4, 4, 4, 4], seen=seen), 16, 8):
        pass
    assert seen == [True, True, True]


@pytest.mark.parametrize("sizes, n", [([4, 4], 9), ([4, 4], 7), ([4, 4, 1], 8)])
def test_stacked_chunks_check_the_row_count(sizes, n):
    with pytest.raises(ValueError, match="rows"):
        list(stacked_chunks(_blocks(sizes), n, 3))
