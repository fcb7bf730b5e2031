"""Held-out answers during training: every `train.eval_generate_every` steps the model answers the
test questions and is scored on them (fact accuracy where the test rows name their facts, else
token F1), because eval loss falls while answers stay wrong; with `train.select_best` the run
keeps the weights of its best-scoring step, not its last."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from tunelab.config import Config
from tunelab.data.example import Example
from tunelab.errors import TunelabError
from tunelab.evaluate.scores import score_said
from tunelab.run_files import BEST, with_umask
from tunelab.train.parallel.distributed import World, said_by_main
from tunelab.train.parallel.sharding import gather_weights


class HeldOut:
    """The test split's questions, how to ask them (each row's last reply as it is trained, as
    `tunelab eval` asks it), and how to score the answers."""

    def __init__(self, config: Config, examples: list[Example]) -> None:
        from tunelab.data.files.hub import is_hub
        from tunelab.evaluate.calls import calls_alone
        from tunelab.evaluate.facts.score import read_fact_checks

        data = config.data
        self.examples = [ex for ex in examples if ex.question and ex.answer][
            : config.train.eval_questions
        ]
        checks: dict = {}
        for path in {data.test_path, data.path} - {None}:
            if is_hub(path) or Path(path).exists():
                checks.update(read_fact_checks(path))
        # As eval reads them: a reply that only calls tools states no facts, it is scored by them.
        self.checks = [None if calls_alone(ex) else checks.get(ex.source) for ex in self.examples]
        self.metric = "fact_accuracy" if any(c and c.facts for c in self.checks) else "token_f1"
        self.template, self.system_prompt = data.template, data.system_prompt
        self.max_new_tokens = config.train.eval_max_new_tokens

    def __bool__(self) -> bool:
        return bool(self.examples)

    def check_fit(self, model, tokenizer) -> None:
        """Refuse, before any step, a question that leaves no room for an answer in the model's
        context: found at the first held-out answers, it would end the run there."""
        from tunelab.generation.generate import check_questions_fit

        check_questions_fit(
            model,
            tokenizer,
            self.examples,
            template=self.template,
            system_prompt=self.system_prompt,
        )

    @property
    def key(self) -> str:
        """Its name in metrics.jsonl."""
        return metric_key(self.metric)

    def score(self, model, tokenizer) -> float:
        """Mean of `metric` over the questions (0-1), answered greedily."""
        from tunelab.evaluate.calls import calls_tools, said_beside_calls, score_reply
        from tunelab.evaluate.facts.score import score_facts
        from tunelab.generation.generate import answer

        # Decoding with `train.compile`'s layers would compile them again for every shape and
        # cache a reply meets (up to the recompile limit) for a few answers: they run eager.
        with torch.compiler.set_stance("force_eager"):
            replies = answer(
                model,
                tokenizer,
                self.examples,
                template=self.template,
                system_prompt=self.system_prompt,
                max_new_tokens=self.max_new_tokens,
            )
        model.train()
        if self.metric == "fact_accuracy":
            values = [  # a reply's facts in its text, not in its calls' arguments
                score_facts(said_beside_calls(r.text, calls_tools(ex)), c)["fact_accuracy"]
                for r, ex, c in zip(replies, self.examples, self.checks)
                if c and c.facts
            ]
        else:
            values = [score_reply(r.text, ex)["token_f1"] for r, ex in zip(replies, self.examples)]
        return sum(values) / len(values)


def needs_held_out(config: Config) -> None:
    """Refuse, from the settings alone, a selection or early stop with no held-out data to go
    by: before anything is loaded, and before --overwrite deletes the run already there."""
    data, cfg = config.data, config.train
    if data.test_path or data.test_size:
        return
    for wanted, setting in (
        (cfg.select_best == "eval_loss", "select_best: eval_loss"),
        (bool(cfg.early_stop_patience), "train.early_stop_patience"),
    ):
        if wanted:
            raise TunelabError(
                f"{setting} needs held-out data (data.test_path or data.test_size > 0)"
            )


def with_own_test_split(config: Config) -> Config:
    """`config` asking the test rows training holds out (data.split.held_out_path): a saved
    DatasetDict's own test split where data.test_path names the whole folder, or where
    data.path is one and data.test_path is unset."""
    from tunelab.data.split import held_out_path

    test_path = held_out_path(config.data.path, config.data.test_path)
    if test_path == config.data.test_path:
        return config
    data = config.data.model_copy(update={"test_path": test_path})
    return config.model_copy(update={"data": data})


def nothing_held_out(config: Config, test_examples: list) -> str | None:
    """Why a split that data.test_size asked for holds nothing out: it holds out whole questions
    (a raw text's whole documents), and one alone stays in training. One book.txt trained with
    no eval loss, without a word."""
    data = config.data
    if data.test_path or not data.test_size or test_examples:
        return None
    return (
        f"data.test_size {data.test_size:g} held out nothing: {data.path} holds one distinct "
        "question or document, and training keeps it, so there is no eval loss; set "
        "data.test_path to a file to evaluate on (for raw text, a fraction such as "
        "data.test_size=0.1 holds out the end of each document)"
    )


def held_out_questions(config: Config, examples, test_rows) -> HeldOut | None:
    """The held-out questions to answer during training, or None when not asked for; a
    selection that has nothing to select by is refused before any step."""
    cfg = config.train
    for wanted, setting in (
        (cfg.select_best == "eval_loss", "select_best: eval_loss"),
        (bool(cfg.early_stop_patience), "train.early_stop_patience"),
    ):
        if wanted and not test_rows:  # early stopping would never stop: said, not ignored
            if none := nothing_held_out(config, examples):
                raise TunelabError(f"{setting} needs held-out data: {none}")
            raise TunelabError(
                f"{setting} needs held-out data, and none is left after tokenizing (every "
                "held-out row dropped: see the data line above; raise data.max_length or set "
                "data.truncation)"
            )
    if not cfg.eval_generate_every:
        return None
    heldout = HeldOut(config, examples)
    if not heldout:
        raise TunelabError(
            "train.eval_generate_every needs held-out question/answer rows (data.test_path or "
            "data.test_size > 0)"
        )
    if cfg.select_best in ("fact_accuracy", "token_f1") and cfg.select_best != heldout.metric:
        raise TunelabError(
            f"select_best: {cfg.select_best}, but the held-out rows "
            + ("name no facts" if cfg.select_best == "fact_accuracy" else "name their facts")
            + f": use select_best: {heldout.metric}"
        )
    return heldout


def score_heldout(heldout: HeldOut, model, tokenizer, step: int, progress) -> float:
    value = round(heldout.score(model, tokenizer), 4)
    progress.note(f"step {step}: held-out {score_said(heldout.metric, value)}")
    return value


def trainable(model) -> dict[str, torch.Tensor]:
    return {
        n: p.detach().contiguous().cpu().clone()
        for n, p in model.named_parameters()
        if p.requires_grad
    }


def best_so_far(run_dir: Path) -> dict | None:
    """{"step", "metric", "value"} of the best step kept so far (survives a resume)."""
    path = run_dir / BEST / "best.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def forget_best_after(run_dir: Path, step: int) -> dict | None:
    """Drop the best step kept when it comes after `step` (a resume from an earlier checkpoint
    trains those steps again: the kept weights are of a training no longer in the run's
    history); the dropped record, or None."""
    best = best_so_far(run_dir)
    if best is None or best["step"] <= step:
        return None
    shutil.rmtree(run_dir / BEST)
    return best


def metric_key(metric: str) -> str:
    """A `train.select_best` metric's name in metrics.jsonl."""
    return metric if metric == "eval_loss" else f"eval_{metric}"


def higher_better(metric: str, value: float) -> float:
    """`value` of `metric` as keep_if_best compares it, higher better (a loss negated); and a
    compared one back as it was."""
    return -value if metric == "eval_loss" else value


def best_up_to(
    run_dir: Path,
    rows: list[dict],
    step: int,
    metric: str,
    model,
    sharded_over: World | None = None,
) -> str | None:
    """A resume from a checkpoint before the best step kept trains the steps after it again:
    that best's weights are of a training no longer in the run's history (model/ ended with
    them), so it is dropped; the resume step's own score in `rows` (metrics.jsonl), where it has
    one, stands in for it with the weights just restored (an earlier better step's weights are
    kept nowhere). What was done, in words, or None when the best kept stands. `sharded_over`:
    see keep_if_best (there, only rank 0's run folder and `rows` are read)."""
    main = sharded_over is None or sharded_over.is_main
    dropped = forget_best_after(run_dir, step) if main else None
    key = metric_key(metric)
    row = next((r for r in rows if r.get("step") == step and key in r), None) if dropped else None
    if row is not None or sharded_over is not None:
        stand_in = higher_better(metric, row[key]) if row is not None else None
        keep_if_best(run_dir, model, step, metric, stand_in, sharded_over)
    if dropped is None:
        return None
    return (
        f"the best step kept ({dropped['step']}, "
        f"{score_said(dropped['metric'], higher_better(dropped['metric'], dropped['value']))}) "
        f"came after step {step}, which this resume trains again: "
        + (f"step {step}'s weights stand in for it" if row else "it is dropped")
    )


def keep_if_best(
    run_dir: Path,
    model,
    step: int,
    metric: str,
    value: float | None,
    sharded_over: World | None = None,
) -> bool:
    """Save the trainable weights when `value` beats the best so far (higher is better, and a
    tie keeps the earlier step: the same answers for less training; None beats nothing).
    `sharded_over`: the processes a sharded model (FSDP) is spread over. Every one of them calls
    this, as the weights are gathered from all; rank 0 decides by its `value` and writes them."""
    main = sharded_over is None or sharded_over.is_main
    best = best_so_far(run_dir) if main else None
    better = (
        main
        and value is not None
        and (best is None or best["metric"] != metric or value > best["value"])
    )
    if sharded_over is not None:
        if not said_by_main(sharded_over, better):
            return False
        weights = gather_weights(model)  # every process takes part; whole on rank 0 alone
    elif not better:
        return False
    else:
        weights = trainable(model)
    if not main:
        return True
    folder = run_dir / BEST
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "trainable.safetensors.tmp"
    save_file(weights, tmp)
    with_umask(tmp)
    tmp.replace(folder / "trainable.safetensors")
    (folder / "best.json").write_text(
        json.dumps({"step": step, "metric": metric, "value": value}), encoding="utf-8"
    )
    return True


def restore_best(run_dir: Path, model, weights: dict | None = None) -> dict | None:
    """Load the best step's trainable weights into `model`, or into `weights` (a sharded
    model's, gathered whole to be saved); None when none was kept."""
    best = best_so_far(run_dir)
    if best is None:
        return None
    kept = load_file(run_dir / BEST / "trainable.safetensors")
    if weights is not None:
        weights.update(kept)
        return best
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in kept.items():
            params[name].copy_(value.to(params[name].device, params[name].dtype))
    return best
