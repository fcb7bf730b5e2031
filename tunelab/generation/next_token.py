"""How the next token is chosen, for `generate` and the server alike: the most likely one, or a
sample at a temperature within top-p drawn from a prompt's own seeded generator, after the
checkpoint's repetition penalty."""

from __future__ import annotations

import torch
from transformers import PreTrainedModel


def prompt_generators(
    seed: int | None, n: int, device: torch.device
) -> list[torch.Generator | None]:
    """Each prompt's own random generator, seeded from `seed` and the prompt's place in the list
    (None for all without a seed: torch's global generator). One generator drawn from by every
    row would give a prompt a different sample for each batch size."""
    if seed is None:
        return [None] * n
    # Seeds drawn from `seed`, not seed + i: generate(seed=2)'s first prompt must not replay
    # generate(seed=1)'s second (data generation retries with the next seed).
    # Modulo 2**64 as torch reads a negative seed: any integer is one (2**70 overflowed).
    drawn = torch.Generator().manual_seed(seed % 2**64)
    seeds = torch.randint(2**62, (n,), generator=drawn).tolist()
    return [torch.Generator(device).manual_seed(s) for s in seeds]


# A temperature this low picks what greedy decoding picks, and far lower ones overflow the logits
# (divided by 1e-40) into NaN probabilities, which fail a server's whole batch: greedy below it,
# where vLLM draws the line too.
GREEDY_BELOW = 1e-5


def choose(
    logits: torch.Tensor, temperature: float, top_p: float, rng: torch.Generator | None = None
) -> torch.Tensor:
    """Each row's next token: the most likely one, or a sample at `temperature` (drawn from
    `rng`, else torch's global generator) from the smallest set of tokens whose probability
    reaches `top_p` (always at least the top one)."""
    if temperature < GREEDY_BELOW:
        return logits.argmax(-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        ranked, order = probs.sort(dim=-1, descending=True)
        beyond = ranked.cumsum(-1) - ranked >= top_p
        beyond[..., 0] = False  # the top one stays even at a top_p of 0 (OpenAI's greedy)
        ranked[beyond] = 0.0
        probs = torch.zeros_like(probs).scatter_(-1, order, ranked)
    return torch.multinomial(probs, 1, generator=rng)[:, 0]


def repetition_penalty(model: PreTrainedModel) -> float:
    """The checkpoint's repetition penalty: model.generate applies it even when greedy (Qwen2.5
    ships 1.05-1.1), so a reply from `generate` and from `serve` is the one it gives."""
    return getattr(model.generation_config, "repetition_penalty", None) or 1.0


def penalize_repeats(scores: torch.Tensor, seen: list[int], penalty: float) -> None:
    """Make every token already in the text less likely, in place, as transformers'
    RepetitionPenaltyLogitsProcessor does: a positive score divided, a negative one multiplied."""
    index = torch.tensor(seen, device=scores.device)
    picked = scores[index]
    scores[index] = torch.where(picked < 0, picked * penalty, picked / penalty)
