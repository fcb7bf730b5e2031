"""LoRA's dropout kernel (tunelab/kernels/dropout.cpp): Philox4x32-10 by its published answers,
the mask laid out as documented, kept at the rate asked, the same whatever the threads."""

import pytest
import torch

from tunelab.kernels import dropout as kernel

pytestmark = pytest.mark.skipif(
    not kernel.available(), reason="tunelab's kernels do not compile or this CPU lacks AVX2"
)

# Random123's known-answer vectors for Philox4x32-10: (counter, key, output).
KNOWN = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


def _signed(word: int) -> int:
    return word - (1 << 32) if word >= 1 << 31 else word


def _philox(counters: list[tuple[int, int, int, int]], key: tuple[int, int]) -> list[tuple]:
    rows = torch.tensor([[_signed(c[i]) for c in counters] for i in range(4)], dtype=torch.int32)
    out = torch.ops.tunelab_dropout.philox(rows, _signed(key[0]), _signed(key[1]))
    return [tuple(int(v) & 0xFFFFFFFF for v in out[:, j]) for j in range(len(counters))]


def test_philox_gives_random123s_known_answers_in_every_lane():
    # 21 counters: a full vector of 16 and a masked tail, each lane checked.
    counters = [KNOWN[j % 3][0] for j in range(21)]
    for key_of in range(3):
        got = _philox(counters, KNOWN[key_of][1])
        for j in range(21):
            if j % 3 == key_of:
                assert got[j] == KNOWN[key_of][2], j


def test_the_mask_is_laid_out_as_documented():
    # Element i: counter i // 64 * 16 + i % 16 (low, high words), output word i % 64 // 16.
    n, seed, p = 300, (7 << 32) + 5, 0.4
    dropped = kernel.dropout(torch.ones(n), p, seed)
    counters = [(i // 64 * 16 + i % 16, 0, 0, 0) for i in range(n)]
    bits = _philox(counters, (5, 7))
    kept = [bits[i][i % 64 // 16] >= int(p * 2**32) for i in range(n)]
    want = torch.tensor([1 / (1 - p) if k else 0.0 for k in kept], dtype=torch.float32)
    assert torch.equal(dropped, want)


@pytest.mark.parametrize("p", [0.05, 0.5, 0.9])
def test_elements_are_kept_at_the_rate_asked_and_scaled(p):
    x = torch.randn(1000, 577)  # not a multiple of 64: a tail in the last span
    y = kernel.dropout(x, p, 1234)
    kept = y != 0
    rate = kept.float().mean().item()
    sigma = (p * (1 - p) / x.numel()) ** 0.5
    assert abs(rate - (1 - p)) < 5 * sigma
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))
    # rows and columns alike: no stripe of the layout kept more than another
    by_column = kept.float().mean(dim=0)
    assert (by_column - (1 - p)).abs().max() < 6 * (p * (1 - p) / 1000) ** 0.5


def test_the_same_seed_gives_the_same_mask_whatever_the_threads_and_another_seed_another():
    x = torch.randn(3000, 64)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = kernel.dropout(x, 0.3, 99)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(kernel.dropout(x, 0.3, 99), alone)
    assert not torch.equal(kernel.dropout(x, 0.3, 100), alone)
    assert torch.equal(kernel.dropout(x, 0.0, 99), x)


def test_dropout_add_adds_through_the_same_mask():
    x, out = torch.randn(5, 130), torch.randn(5, 130)
    want = out + kernel.dropout(x, 0.25, 3)
    kernel.dropout_add_(out, x, 0.25, 3)
    torch.testing.assert_close(out, want)


def test_seeds_follow_torchs_generator():
    torch.manual_seed(4)
    first = [kernel.new_seed() for _ in range(3)]
    torch.manual_seed(4)
    assert [kernel.new_seed() for _ in range(3)] == first and len(set(first)) == 3


def test_a_p_outside_zero_to_one_is_refused():
    with pytest.raises(RuntimeError, match="p must be in"):
        kernel.dropout(torch.ones(3), 1.0, 0)
