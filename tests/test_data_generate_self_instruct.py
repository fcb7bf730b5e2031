"""Self-instruct and llm mode with a stand-in generator: what a small model's replies look like
(cut at the token budget, a seed asked again) is dropped and counted, never kept silently."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig
from tunelab.errors import TunelabError


class Replying:
    """A stand-in model that replies with `pairs` to every prompt, and keeps the prompts and how
    many each ask gave it."""

    name = "replying"

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs, self.prompts, self.asks = pairs, [], []

    def complete(self, conversations, temperature, schema=None) -> list[str | None]:
        self.prompts += [c[-1]["content"] for c in conversations]
        self.asks.append(len(conversations))
        reply = {"pairs": [{"question": q, "answer": a} for q, a in self.pairs]}
        return [json.dumps(reply)] * len(conversations)


SEED = (
    "How does the submit_job() function work in Lamini?",
    "It submits a job that trains a model on your data.",
)


def seeds_file(tmp_path, marked: bool) -> str:
    question = f"### Question:\n{SEED[0]}\n\n### Answer:" if marked else SEED[0]
    path = tmp_path / "seeds.jsonl"
    path.write_text(json.dumps({"question": question, "answer": SEED[1]}) + "\n")
    return str(path)


def test_seeds_in_lamini_docs_form_are_shown_and_compared_without_their_markers(tmp_path):
    # The markers were in every prompt's examples, and a seed's question asked again without
    # them was kept as a new task.
    llm = Replying([(SEED[0], "It trains a model on the data you give it, as a job.")])
    config = GenerateConfig(
        mode="self-instruct", seeds=seeds_file(tmp_path, marked=True), count=1,
        output=str(tmp_path / "new.jsonl"), batch_size=1, concurrency=1,
    )  # fmt: skip
    stats = generate_dataset(config, llm, progress=False)
    assert "### Question" not in llm.prompts[0] and SEED[0] in llm.prompts[0]
    assert stats.pairs == 0 and stats.dropped["duplicate question"] == len(llm.prompts)


def test_an_answer_the_token_budget_cut_mid_sentence_is_dropped_and_counted(tmp_path):
    # The embedded model's self-instruct kept "... the resulting model is saved and can be used
    # for inference. The output of the function is a job object that can".
    cut = "Lamini trains the model on your data and saves it. The output is a job object that can"
    whole = "Lamini trains the model on your data and saves it, then returns a job object."
    llm = Replying([("What does a job return in Lamini?", cut), ("What comes back?", whole)])
    config = GenerateConfig(
        mode="self-instruct", seeds=seeds_file(tmp_path, marked=False), count=1,
        output=str(tmp_path / "new.jsonl"), batch_size=1, concurrency=1, pairs_per_chunk=2,
    )  # fmt: skip
    stats = generate_dataset(config, llm, progress=False)
    kept = [json.loads(line) for line in (tmp_path / "new.jsonl").read_text().splitlines()]
    assert [row["answer"] for row in kept] == [whole]
    assert stats.dropped["answer cut off mid-sentence"] == 1


def test_an_answer_nearly_a_seeds_or_another_new_pairs_word_for_word_is_dropped(tmp_path):
    out = tmp_path / "new.jsonl"
    config = GenerateConfig(
        mode="self-instruct", seeds=seeds_file(tmp_path, marked=False), count=2,
        output=str(out), batch_size=1, concurrency=1,
    )  # fmt: skip
    trains = "Call train() with your data and Lamini fine-tunes the base model for you."
    again = ("How can I fine-tune in Lamini?", f"{trains[:-1]} too.")
    llm = Replying(
        [("How do I train a model with Lamini?", trains), again,
         ("What does submit_job() start?", f"{SEED[1][:-1]} today.")]
    )  # fmt: skip
    stats = generate_dataset(config, llm, progress=False)
    assert [json.loads(line)["answer"] for line in out.open()] == [trains]
    assert stats.dropped["answer nearly copies another new pair's answer"] == len(llm.prompts)
    assert stats.dropped["answer nearly copies a seed's answer"] == len(llm.prompts)
    # A rerun (asking for the pair still missing) compares with the pairs kept before too.
    llm = Replying([again])
    stats = generate_dataset(config, llm, progress=False)
    assert stats.dropped["answer nearly copies another new pair's answer"] == len(llm.prompts)


def test_self_instruct_that_stops_short_of_its_count_says_so(tmp_path, monkeypatch):
    # Its rounds are capped; the embedded model kept 1 of --count 3 and only "wrote 1 pairs" said it.
    from typer.testing import CliRunner

    import tunelab.data.generate.from_documents as from_documents
    from tunelab.cli import app

    seeds = seeds_file(tmp_path, marked=False)
    out = str(tmp_path / "new.jsonl")
    llm = Replying([("Is Lamini free?", "Yes")])  # a bare verdict: dropped every time
    command = ["data", "generate", "-o", out, "--mode", "self-instruct", "--seeds", seeds]
    command += ["--count", "2", "--batch-size", "1", "--concurrency", "1"]
    monkeypatch.setattr(from_documents, "make_llm", lambda config: llm)
    result = CliRunner().invoke(app, command)
    said = " ".join(result.output.split())
    assert result.exit_code == 0
    assert "self-instruct stopped short: 0 of --count 2 pairs" in said
    assert "run the same command again to ask more" in said


def test_a_bad_seed_row_is_named_with_the_option_that_skips_it(tmp_path):
    # lamini_docs' row 424 (an empty answer) stopped self-instruct with "--set
    # data.on_error=skip, or on_error: skip under data: in the config", which `data generate`
    # refused as an unknown setting: its seeds could not be used at all.
    seeds = tmp_path / "seeds.jsonl"
    rows = [{"question": SEED[0], "answer": SEED[1]}, {"question": "Why?", "answer": ""}]
    seeds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    whole = "Lamini trains the model on your data and saves it, then returns a job object."
    asked = dict(
        mode="self-instruct", seeds=str(seeds), count=1, output=str(tmp_path / "new.jsonl"),
        batch_size=1, concurrency=1,
    )  # fmt: skip
    with pytest.raises(TunelabError, match=f"{seeds}:2: field 'answer' is empty.*--on-error skip"):
        generate_dataset(GenerateConfig(**asked), Replying([("What comes back?", whole)]))
    llm = Replying([("What comes back?", whole)])
    stats = generate_dataset(GenerateConfig(**asked, on_error="skip"), llm, progress=False)
    assert stats.pairs == 1 and SEED[0] in llm.prompts[0]


def test_a_local_model_is_asked_its_batch_size_of_prompts_at_a_time(tmp_path):
    # Concurrency (default 4) is an endpoint's requests in flight: a local model was asked
    # max(batch size, concurrency) prompts a round, 4 for `--batch-size 2`.
    whole = "Lamini trains the model on your data and saves it, then returns a job object."
    llm = Replying([("What comes back?", whole)])
    config = GenerateConfig(
        mode="self-instruct", seeds=seeds_file(tmp_path, marked=False), count=1,
        output=str(tmp_path / "new.jsonl"), batch_size=2,
    )  # fmt: skip
    generate_dataset(config, llm, progress=False)
    assert llm.asks == [2]


def test_answers_cut_off_name_the_token_budget_they_ran_out_of(tmp_path, monkeypatch):
    # `--mode llm --max-new-tokens 160` kept no pair: "answer cut off mid-sentence x2", and no
    # word of the setting that had cut them.
    from typer.testing import CliRunner

    import tunelab.data_commands
    from tunelab.cli import app
    from tunelab.data.generate.shared import GenerateStats

    stats = GenerateStats(chunks=1, replies=1, dropped=Counter({"answer cut off mid-sentence": 2}))
    monkeypatch.setattr(tunelab.data_commands, "generate", lambda config: stats)
    (tmp_path / "guide.md").write_text("# Guide\n\nThe hub listens on port 7070.\n")
    out = tmp_path / "qa.jsonl"
    args = ["data", "generate", str(tmp_path), "-o", str(out), "--mode", "llm"]
    result = CliRunner().invoke(app, [*args, "--max-new-tokens", "160"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "ran out of --max-new-tokens (160): raise it, or ask for fewer --pairs" in said


@pytest.mark.parametrize("ended, told", [({"length": 1}, True), ({"stop": 1}, False)])
def test_answers_cut_off_name_the_token_budget_only_where_a_reply_ran_out_of_it(
    tmp_path, monkeypatch, ended, told
):
    # An answer that stops without closing punctuation was said to have "ran out of
    # --max-new-tokens" though every reply had ended by itself (the model's own stop, or a
    # schema's maxLength): raising the limit mends nothing then.
    from typer.testing import CliRunner

    import tunelab.data_commands
    from tunelab.cli import app
    from tunelab.data.generate.shared import GenerateStats

    stats = GenerateStats(
        chunks=1, replies=1, dropped=Counter({"answer cut off mid-sentence": 2}),
        finish_reasons=Counter(ended),
    )  # fmt: skip
    monkeypatch.setattr(tunelab.data_commands, "generate", lambda config: stats)
    (tmp_path / "guide.md").write_text("# Guide\n\nThe hub listens on port 7070.\n")
    args = ["data", "generate", str(tmp_path), "-o", str(tmp_path / "qa.jsonl"), "--mode", "llm"]
    result = CliRunner().invoke(app, [*args, "--max-new-tokens", "160"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "answer cut off mid-sentence x2" in said
    assert ("ran out of --max-new-tokens (160)" in said) is told
