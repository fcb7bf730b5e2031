"""Each process resumes with RNG states of its own: after torchrun's SIGTERM rank 0 alone saves,
and its states given to every process made them all draw the same dropout masks."""

from __future__ import annotations

import torch

from tunelab.train.checkpoint import missing_rng_note, rank_rng, rng_states, set_rng_states


def _draws(states: dict) -> torch.Tensor:
    set_rng_states(states)
    return torch.rand(8)


def test_a_process_the_checkpoint_holds_no_states_for_draws_its_own():
    torch.manual_seed(0)
    rank0 = rng_states()  # what a save by rank 0 alone holds
    before = rng_states()

    rank1, rank2 = rank_rng(rank0, 1), rank_rng(rank0, 2)
    assert torch.equal(rng_states()["torch"], before["torch"])  # deriving them draws nothing
    first, second, third = _draws(rank_rng(rank0, 0)), _draws(rank1), _draws(rank2)
    assert not torch.equal(first, second) and not torch.equal(second, third)
    assert torch.equal(_draws(rank_rng(rank0, 1)), second)  # the same resume, the same masks

    torch.rand(1)  # a later step's checkpoint: other states again
    assert not torch.equal(_draws(rank_rng(rng_states(), 1)), second)


def test_every_process_the_checkpoint_holds_gets_its_own_states():
    torch.manual_seed(1)
    saved = [rng_states()]
    torch.manual_seed(2)
    saved.append(rng_states())
    assert torch.equal(rank_rng(saved, 1)["torch"], saved[1]["torch"])
    assert missing_rng_note(saved, 2) is None
    assert missing_rng_note(saved[0], 1) is None


def test_a_resume_lacking_some_states_says_its_dropout_differs_and_why():
    note = missing_rng_note(rng_states(), 2)
    assert "process 1 draws dropout masks of their own" in note
    assert "rank 0 alone saved it, after torchrun stopped the run" in note
    assert "differ from those of an uninterrupted run" in note
    assert "processes 2-3 draw" in missing_rng_note([rng_states()] * 2, 4)
    # A run of one process resumed on two: the reason is the run's own size, not a stop.
    assert "the run had 1 process(es)" in missing_rng_note(rng_states(), 2, ran_on=1)


def test_fewer_processes_taking_more_micro_batches_say_their_dropout_differs():
    # The README's "fewer processes accumulating more resume exactly" held only without dropout;
    # a 2-process LoRA run (dropout 0.05) resumed on 1 changed its losses from step 55, unsaid.
    note = missing_rng_note([rng_states()] * 2, 1, ran_on=2)
    assert note.startswith("the run had 2 processes and resumes on 1")
    # rank 0 alone saved (torchrun stopped the run): one state held, as many as now resume.
    assert missing_rng_note(rng_states(), 1, ran_on=2).startswith("the run had 2 processes")


def test_without_dropout_a_resume_on_other_processes_says_nothing():
    # Nothing is drawn: the losses are the uninterrupted run's (a note said they differ).
    from torch import nn

    from tunelab.train.checkpoint import draws_dropout

    assert missing_rng_note(rng_states(), 2, ran_on=1, dropout=False) is None
    assert missing_rng_note([rng_states()] * 2, 1, dropout=False) is None
    assert draws_dropout(nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.05)))
    assert not draws_dropout(nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.0)))
