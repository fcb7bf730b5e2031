"""`tunelab demo`: the whole idea of finetuning in a few minutes, offline, on the embedded model.

Ask the base model about tunelab, finetune it on tunelab's own Q&A set, ask again, and score both
on held-out paraphrases by the facts they state (and the wrong answers they give), on off-topic
questions (which should be refused), on questions that combine two trained facts or ask one in
reverse (scored apart), and on a general benchmark (what the facts cost)."""

from __future__ import annotations

import json
import time
from importlib.resources import files
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tunelab.config import Config
from tunelab.data.files.write_files import write_json, write_jsonl
from tunelab.data.load import load_examples
from tunelab.demo.scores import (
    GENERAL_QUESTIONS,
    GENERAL_TASK,
    changes,
    general_ability,
    means,
    per_question,
    plot_changes,
    print_table,
)
from tunelab.errors import TunelabError
from tunelab.evaluate.bench.run_scores import keep_run_scores
from tunelab.generation.generate import Generation, answer
from tunelab.models.load import EMBEDDED_NAME
from tunelab.next_step import command
from tunelab.run import Run, load_model
from tunelab.run_files import CONFIG_FILE
from tunelab.train.loop import train
from tunelab.train.run_config import check_resume_changes

# Short on purpose: SmolLM2's default system turn is ~15 tokens on every example, and on 2 CPU
# cores every token of every epoch costs time.
SYSTEM_PROMPT = "You are the tunelab assistant."
SHOWCASE = 4  # questions shown side by side before and after
MAX_NEW_TOKENS = 40
LEARNING_RATE = 5e-4
# A fourth epoch stated 49 of the 56 held-out facts where three stated 40 (+16.1 [+4.6, +27.8],
# paired; 10 gained, 1 lost; docs/measurements.md): 90 more steps, about 3 more minutes idle.
EPOCHS = 4.0
console = Console()


def demo_data() -> tuple[Path, Path]:
    folder = files("tunelab.demo")
    return Path(str(folder / "tunelab_qa_train.jsonl")), Path(str(folder / "tunelab_qa_test.jsonl"))


def demo_tests() -> list[dict]:
    """The held-out rows the demo asks: the test file's paraphrases and off-topic questions, then
    the questions that combine two trained facts or ask one in reverse. Those sit in a file of
    their own so that the eval loss training reports, and `tunelab eval` of the run on its test
    file, keep measuring what they measured."""
    paths = (demo_data()[1], Path(str(files("tunelab.demo") / "tunelab_qa_combine.jsonl")))
    return [json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines()]


def demo_config(
    output_dir: str = "runs", steps: int | None = None, model: str = EMBEDDED_NAME
) -> Config:
    """The recipe measured to teach a 135M model the most facts per CPU minute
    (docs/knowledge.md): full finetuning at a high learning rate on 5-7 phrasings per fact."""
    train_path, test_path = demo_data()
    return Config.from_dict(
        {
            "name": "demo",
            "output_dir": output_dir,
            "model": {"name": model},
            "data": {
                "path": str(train_path),
                "test_path": str(test_path),
                # Its test rows ask trained facts in other words, by design: the rows teaching
                # them stay in training (questions would drop them as reworded leaks).
                "held_out": "rephrasings",
                "system_prompt": SYSTEM_PROMPT,
                "max_length": 256,
            },
            "train": {
                # LoRA (r=16, lr 1e-3 or 3e-3) stated 9-21% of the held-out facts for the same
                # minutes; every weight moving stores facts far faster in a model this small.
                "method": "full",
                "epochs": EPOCHS,
                "max_steps": steps,
                # Many small steps learn facts faster than a few big ones for the same tokens.
                "batch_size": 2,
                "lr": LEARNING_RATE,
                "warmup_ratio": 0.05,
                "eval_every": 45,
                # A full checkpoint (weights + AdamW state) is 1.6 GB; Ctrl-C and crashes still
                # save one, so none is written on a schedule, nor at the end.
                "save_every": 100_000,
                "save_at_end": False,
            },
        }
    )


def run_demo(
    steps: int | None = None,
    output_dir: str = "runs",
    model: str = EMBEDDED_NAME,
    general_check: bool = True,
    again: str = "",
) -> dict:
    """The demo, start to end; `again` is how the user reruns it (`tunelab demo` as typed), which
    a Ctrl-C during training names beside `tunelab train RUN --resume`: it goes on too (from
    Python, with none given, the train command alone is named)."""
    started = time.perf_counter()
    config = demo_config(output_dir, steps, model)
    tests = demo_tests()
    showcase = _showcase(tests)

    console.rule("[bold]1. The base model, before finetuning")
    base_model, tokenizer = load_model(model)
    base_answers = [r.text for r in _ask(base_model, tokenizer, tests)]
    for i in showcase:
        asked, answered = escape(tests[i]["question"]), escape(base_answers[i])
        console.print(f"[bold]Q:[/] {asked}\n[dim]base:[/] {answered}\n")
    base_general = general_ability(base_model, tokenizer) if general_check else None
    del base_model

    console.rule("[bold]2. Finetuning on tunelab's own documentation")
    n_train = len(load_examples(config.data.path))
    console.print(
        f"{n_train} training pairs; held-out test: {len(tests)} questions never seen in training"
    )
    kept = _interrupted_step(config)
    if kept is not None:
        console.print(
            f"{config.run_dir} holds this demo's training cut short at step {kept}: going on "
            "from it (delete the folder to start afresh)",
            markup=False,
        )
    run_dir = train(config, resume=kept is not None, overwrite=kept is None, rerun=again)

    console.rule("[bold]3. The finetuned model, on the same questions")
    tuned_model, tokenizer = load_model(str(run_dir))
    tuned_replies = _ask(tuned_model, tokenizer, tests)
    tuned_answers = [r.text for r in tuned_replies]
    table = Table("question", "base model", "finetuned", "reference", show_lines=True)
    for i in showcase:
        said = (tests[i]["question"], base_answers[i], tuned_answers[i], tests[i]["answer"])
        table.add_row(*map(escape, said))
    console.print(table)
    before, after = per_question(tests, base_answers), per_question(tests, tuned_answers)
    if base_general is not None:
        console.rule(f"[bold]4. General ability: {GENERAL_QUESTIONS} {GENERAL_TASK} questions")
        tuned_general = general_ability(tuned_model, tokenizer)
        before[GENERAL_TASK] = base_general.per_question
        after[GENERAL_TASK] = tuned_general.per_question
        keep_run_scores(Run.open(run_dir), [tuned_general])  # as `tunelab bench RUN` keeps it

    scores = {"base": means(before), "finetuned": means(after), "change": changes(before, after)}
    print_table(scores, len(tests), console)
    pictured = plot_changes(scores, len(tests), run_dir / "demo_differences.png")
    scores["seconds"] = round(time.perf_counter() - started, 1)
    write_json(run_dir / "demo_scores.json", scores)
    _write_answers(run_dir, tests, base_answers, tuned_answers)
    _write_eval(run_dir, tuned_replies)
    # Said as the user named them ("runs/demo [2]"): escaped, the bold command kept.
    folder, picture = escape(str(run_dir)), escape(str(pictured))
    console.print(
        f"\nDone in {scores['seconds'] / 60:.1f} min. Per-answer results: "
        f"{folder}/demo_answers.jsonl (the finetuned model's to the test file also in "
        f"{folder}/eval, as `tunelab eval` writes them: `{escape(command('runs', run_dir))}` "
        f"lists its score). The changes above as a picture: {picture}. "
        f"Talk to it: [bold]{escape(command('chat', run_dir))}[/]"
    )
    return scores


def _interrupted_step(config: Config) -> int | None:
    """The step a demo's training stopped by Ctrl-C or SIGTERM kept, with the same settings, which
    a rerun goes on from: it trained afresh, the minutes before the Ctrl-C lost (18 in all). With
    other settings (an older tunelab's demo) it trains afresh: a resume would be refused."""
    if not (config.run_dir / CONFIG_FILE).is_file():
        return None
    run = Run.open(config.run_dir)
    if run.status["status"] != "interrupted" or not run.checkpoints:
        return None
    try:  # an older tunelab's demo (its data.held_out, say): settings a resume would refuse
        check_resume_changes(config.run_dir, config)
    except TunelabError:
        return None
    return run.status["step"] if run.config.train == config.train else None


def _ask(model, tokenizer, tests: list[dict]) -> list[Generation]:
    return answer(
        model,
        tokenizer,
        [t["question"] for t in tests],
        system_prompt=SYSTEM_PROMPT,
        max_new_tokens=MAX_NEW_TOKENS,
    )


def _write_eval(run_dir: Path, replies: list[Generation]) -> None:
    """The finetuned model's answers to the run's test file (the first of the demo's tests)
    scored and written into RUN/eval as `tunelab eval RUN` writes them, not asked again: the
    held-out score `tunelab runs` lists (it left the demo's empty) and `tunelab errors` reads."""
    from tunelab.evaluate.eval_config import EvalConfig
    from tunelab.evaluate.suite import evaluate_one

    asked = len(demo_data()[1].read_text(encoding="utf-8").splitlines())
    evaluate_one(run_dir, EvalConfig(max_new_tokens=MAX_NEW_TOKENS), answers=replies[:asked])


def _showcase(tests: list[dict]) -> list[int]:
    on = [i for i, t in enumerate(tests) if t["kind"] == "paraphrase"][: SHOWCASE - 1]
    off = [i for i, t in enumerate(tests) if t["kind"] == "off_topic"][:1]
    return on + off


def _write_answers(run_dir: Path, tests, base_answers, tuned_answers) -> None:
    rows = ({**t, "base": b, "finetuned": f} for t, b, f in zip(tests, base_answers, tuned_answers))
    write_jsonl(rows, run_dir / "demo_answers.jsonl")
