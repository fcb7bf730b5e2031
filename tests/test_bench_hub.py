"""`tunelab bench` fetches a task's hub dataset (allenai/ai2_arc, Rowan/hellaswag, cais/mmlu,
truthfulqa/truthful_qa) into its cache when the files are not found locally, and reads it into the
same questions as the original files. The hub here is a stand-in serving hub-shaped rows built from
the local copies: tests never go online; offline, the real one is refused with where it looked."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest

from tunelab.errors import TunelabError
from tunelab.evaluate.bench.fetch import data_for
from tunelab.evaluate.bench.tasks import get_task
from tunelab.evaluate.bench.tasks.mmlu import read_csv

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
TASKS = ["arc_easy", "arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc1", "truthfulqa_mc2"]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _arc(subset: str) -> list[dict]:
    rows = _jsonl(FIXTURES / "arc" / subset / f"{subset}-Test.jsonl")
    return [
        {"id": r["id"], "question": r["question"]["stem"], "answerKey": r["answerKey"],
         "choices": {"text": [c["text"] for c in r["question"]["choices"]],
                     "label": [c["label"] for c in r["question"]["choices"]]}}
        for r in rows
    ]  # fmt: skip


def _mmlu(split: str) -> list[dict]:
    return [
        {**row, "subject": path.name.rsplit("_", 1)[0]}
        for path in sorted((FIXTURES / "mmlu" / split).glob("*.csv"))
        for _, row in read_csv(path)
    ]


def _truthfulqa() -> list[dict]:
    items = json.loads((FIXTURES / "truthfulqa" / "mc_task.json").read_text(encoding="utf-8-sig"))
    as_hub = lambda targets: {"choices": list(targets), "labels": list(targets.values())}  # noqa: E731
    return [
        {"question": r["question"], "mc1_targets": as_hub(r["mc1_targets"]),
         "mc2_targets": as_hub(r["mc2_targets"])}
        for r in items
    ]  # fmt: skip


HUB = {  # (repo, config, split): rows in that dataset's own schema, from the local copies
    ("allenai/ai2_arc", "ARC-Easy", "test"): lambda: _arc("ARC-Easy"),
    ("allenai/ai2_arc", "ARC-Challenge", "test"): lambda: _arc("ARC-Challenge"),
    ("Rowan/hellaswag", None, "validation"): lambda: [
        {**r, "label": str(r["label"])}
        for r in _jsonl(FIXTURES / "hellaswag" / "hellaswag_val.jsonl")
    ],
    ("cais/mmlu", "all", "test"): lambda: _mmlu("test"),
    ("cais/mmlu", "all", "dev"): lambda: _mmlu("dev"),
    ("truthfulqa/truthful_qa", "multiple_choice", "validation"): _truthfulqa,
}


@pytest.fixture
def hub(monkeypatch):
    """datasets.load_dataset serving the hub-shaped rows above, recording what was fetched."""
    fetched = []

    def load_dataset(repo, config=None, split=None):
        fetched.append((repo, config, split))
        return datasets.Dataset.from_list(HUB[repo, config, split]())

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return fetched


def _same(docs) -> list[tuple]:
    return [(d.context, d.choices, d.gold, d.labels, d.group) for d in docs]


@pytest.mark.parametrize("name", TASKS)
def test_a_fetched_hub_dataset_gives_the_questions_of_the_original_files(hub, tmp_path, name):
    cache = tmp_path / "cache"
    found = data_for(name, tmp_path / "empty", cache)
    assert found == cache and hub  # fetched, into the cache
    task = get_task(name)
    assert _same(task.load(found, fewshot=2 if task.fewshot else 0)) == _same(
        task.load(FIXTURES, fewshot=2 if task.fewshot else 0)
    )
    fetched = len(hub)
    assert data_for(name, None, cache) == cache and len(hub) == fetched  # cached: not again


def test_local_copies_come_first_and_a_broken_file_is_never_fetched_over(hub, tmp_path):
    assert data_for("arc_easy", FIXTURES, tmp_path / "cache") == FIXTURES and not hub
    broken = tmp_path / "local" / "arc" / "ARC-Easy"
    broken.mkdir(parents=True)
    (broken / "ARC-Easy-Test.jsonl").write_text("{not json\n")
    with pytest.raises(TunelabError, match="ARC-Easy-Test.jsonl:1: not valid JSON"):
        data_for("arc_easy", tmp_path / "local", tmp_path / "cache")
    assert not hub


def test_data_without_a_question_is_an_error_not_a_score_of_zero(hub, tmp_path):
    # An empty test file, or MMLU's test/ without its CSVs, scored 0.00 on 0 questions.
    empty = tmp_path / "local" / "arc" / "ARC-Easy"
    empty.mkdir(parents=True)
    (empty / "ARC-Easy-Test.jsonl").write_text("")
    (tmp_path / "local" / "mmlu" / "test").mkdir(parents=True)
    for name in ("arc_easy", "mmlu"):
        with pytest.raises(TunelabError, match=f"{name}: its data in .* holds no questions"):
            data_for(name, tmp_path / "local", tmp_path / "cache")
    assert not hub


def test_offline_the_error_says_where_it_looked_and_that_the_hub_failed(tmp_path):
    # conftest sets HF_HUB_OFFLINE: the real datasets.load_dataset does not go online.
    with pytest.raises(TunelabError) as err:
        data_for("arc_easy", tmp_path / "local", tmp_path / "cache")
    message = str(err.value)
    assert message.startswith(
        f"arc_easy: not in {tmp_path / 'local'} (no arc/ARC-Easy/ARC-Easy-Test.jsonl there) "
        "nor in the cache"
    )
    assert "fetching allenai/ai2_arc from the Hugging Face hub failed" in message
    assert "point --data-dir (or TUNELAB_BENCH_DATA) at local copies" in message
    with pytest.raises(TunelabError, match="data not found"):
        data_for("arc_easy", tmp_path / "local", tmp_path / "cache", fetch=False)


def test_offline_the_error_names_the_file_to_put_in_the_data_dir(tmp_path, no_route_to_hub):
    # From a walk: `tunelab bench MODEL --tasks hellaswag` offline said "hellaswag: not in
    # ../shared/data/benchmarks", which holds no HellaSwag, and named no file to put there.
    with pytest.raises(TunelabError) as err:
        data_for("hellaswag", tmp_path / "local", tmp_path / "cache")
    said = str(err.value)
    assert said.startswith(f"hellaswag: not in {tmp_path / 'local'} (no hellaswag/hellaswag_val")
    assert "Rowan/hellaswag cannot be fetched" in said


def test_bench_fetches_what_is_missing_and_logs_every_question_it_scored(hub, tmp_path):
    from typer.testing import CliRunner

    from tunelab.cli import app

    out = tmp_path / "board"
    args = ["bench", "tiny-random", "--tasks", "arc_easy,truthfulqa_mc2", "--output", str(out)]
    args += ["--data-dir", str(tmp_path / "empty"), "--cache", str(tmp_path / "cache")]
    result = CliRunner().invoke(app, [*args, "--log-samples"])
    assert result.exit_code == 0, result.output
    fetched = json.loads((out / "leaderboard.json").read_text())["models"][0]["scores"]
    local = ["bench", "tiny-random", "--tasks", "arc_easy,truthfulqa_mc2", "--output", str(out)]
    result = CliRunner().invoke(app, [*local, "--data-dir", str(FIXTURES)])
    assert json.loads((out / "leaderboard.json").read_text())["models"][0]["scores"] == fetched
    samples = _jsonl(out / "samples" / "tiny-random" / "arc_easy.jsonl")
    first = get_task("arc_easy").load(FIXTURES)[0]
    assert len(samples) == 3 and samples[0]["prompt"] == first.context
    assert samples[0]["choices"] == first.choices and samples[0]["gold"] == first.gold
    assert len(samples[0]["loglikelihoods"]) == 4 and set(samples[0]["scores"]) == {
        "acc",
        "acc_norm",
    }
    # The leaderboard's acc_norm picks the likeliest choice per character, as `chosen` says.
    for sample in samples:
        per_char = [ll / len(c) for ll, c in zip(sample["loglikelihoods"], sample["choices"])]
        assert sample["chosen"] == max(range(4), key=per_char.__getitem__)
        assert sample["chosen_by"] == "acc_norm"
        assert sample["scores"]["acc_norm"] == float(sample["chosen"] == sample["gold"])
    assert _jsonl(out / "samples" / "tiny-random" / "truthfulqa_mc2.jsonl")[1]["labels"] == [
        1,
        0,
        1,
        0,
    ]


def test_with_no_route_to_the_hub_the_fetch_fails_at_once(tmp_path, monkeypatch, no_route_to_hub):
    # The datasets client retried for ~24 s (five "Retrying" warnings) before it failed.
    import datasets

    def hub(*args, **kwargs):
        raise AssertionError("the datasets client was asked")

    monkeypatch.setattr(datasets, "load_dataset", hub)
    with pytest.raises(
        TunelabError, match="allenai/ai2_arc cannot be fetched: .* cannot be reached"
    ):
        data_for("arc_easy", tmp_path / "local", tmp_path / "cache")


@pytest.mark.parametrize(
    ("task", "file", "text"),
    [
        ("arc_easy", "arc/ARC-Easy/ARC-Easy-Test.jsonl", '{"id": "Q1", "question": {"stem"'),
        ("truthfulqa_mc1", "truthfulqa/mc_task.json", '[{"question": "Q?", "mc1_targets"'),
    ],
)
def test_a_benchmark_file_cut_short_says_what_to_do(hub, tmp_path, task, file, text):
    # "file:1: not valid JSON" alone left the user to guess: a download that stopped, most often.
    path = tmp_path / "local" / file
    path.parent.mkdir(parents=True)
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(TunelabError) as caught:
        data_for(task, tmp_path / "local", tmp_path / "cache")
    said = str(caught.value)
    assert said.startswith(f"{path}:1: not valid JSON (")  # as a data file's broken line says it
    assert "cut short" in said and "download it again or fix that line" in said
    assert "--data-dir" in said and not hub
