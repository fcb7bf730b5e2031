"""`tunelab eval`: answer every question of a test file, score the answers, analyse the errors, and
write `eval/` (per-example JSONL and CSV, summary, error reports) in the run folder."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from tunelab.data.load import read_examples
from tunelab.data.markers import find_markers, template_warning
from tunelab.data.prompts.templates import ONE_QUESTION_TEMPLATES, Prompt
from tunelab.errors import TunelabError, first_few
from tunelab.evaluate.calls import score_reply
from tunelab.evaluate.difference_plot import plot_comparison
from tunelab.evaluate.eval_config import EvalConfig
from tunelab.evaluate.eval_folder import (
    ANSWERS_FILE,
    answer_folders,
    asked_after,
    asked_before,
    earlier_summary,
    model_labels,
    output_dir,
    read_rows,
    replaced_answers,
    write_outputs,
)
from tunelab.evaluate.facts.yes_no import constant_verdict_note
from tunelab.evaluate.metrics import embedding_similarity
from tunelab.evaluate.scores import (
    TestChecks,
    comparison,
    comparison_folder,
    cut_off_note,
    metric_intervals,
    reference_tokens,
    summarize,
    write_comparison,
)
from tunelab.evaluate.testset import (
    EVAL_ROW_HINT,
    asked_split,
    loaded_as_read,
    rephrasings_note,
    source_keys,
    test_path,
    test_questions,
)
from tunelab.evaluate.trained_on import trained_on_note
from tunelab.next_step import command
from tunelab.run import Run, asked_template, prompt_for
from tunelab.run_prompt import asked_with, how_asked, refuse_system_prompt_of

# Each answer as it is made, so an eval cut short asks only the rest when run again.
ANSWER_LOG = "answers.partial.jsonl"
# How a note of training data not found ends: `tunelab errors` looks it up again, not keeping it.
PASS_DATA = "(pass --data)"


@dataclass
class EvalResult:
    model: str  # as given: a run folder or a model's name (`tunelab errors` finds the run by it)
    out_dir: Path
    rows: list[dict[str, Any]]
    summary: dict[str, float] = field(default_factory=dict)
    analysis: Any = None  # tunelab.evaluate.analysis.Analysis once analysed
    prompt: Prompt | None = None  # how the questions were asked
    # The same, as the reports say it where `prompt` alone misleads (`run_prompt.asked_with`).
    asked_with: str = ""
    notes: list[str] = field(default_factory=list)  # what a person should know of the analysis
    # Of the notes, the one on test rows naming no facts (`facts_named_note`): said again under
    # the scores it qualifies, the comparison's among them.
    facts_note: str = ""
    reference_tokens: int = 0  # the longest reference in the model's tokens (`cut_off_note`)
    # The model as the reports name it (`model_labels`): its name, numbered where two are alike.
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.model

    @functools.cached_property
    def intervals(self) -> dict[str, Any]:
        """Each summary metric's 95% interval and rows (`scores.metric_intervals`); the rows'
        scores are fixed once the result exists."""
        return metric_intervals(self.rows, self.summary)

    def asked(self) -> str:
        """How the questions were asked, for the reports ("" when not known)."""
        return how_asked(self.asked_with, self.prompt)


def evaluate(models, cfg: EvalConfig | None = None, console: Console | None = None):
    """The Python API of `tunelab eval`: one model or run (→ its EvalResult), or several (→ a
    list, compared with `comparison`). Several models are asked alike: the test file, template
    and system prompt not given come from the runs among them, so base vs finetuned differ only
    in the weights; without a run, test questions that carry their own template markers
    (`### Question:`) are asked with the template they fit. The runs' training data is every
    model's word list for the error analysis. With one `output`, each model writes into a
    subfolder named after it; without, a run into its own eval folder and a plain model beside
    a run into a subfolder of the first run's; several models' comparison is kept beside
    (`scores.comparison_folder`). `console` shows a progress bar per model."""
    if isinstance(models, str | Path | Run):
        return evaluate([models], cfg, console)[0]
    from tunelab.run import refuse_unloadable

    cfg = cfg or EvalConfig()
    found = [Run.find(model) for model in models]
    runs = [run for run in found if run]
    for model, run in zip(models, found):  # a model named wrong fails now, not after the
        if not run:  # ones before it answered
            # A run killed before it wrote model/ is no run to Run.find: named as such, not
            # told "no test data for runs/x: pass --data".
            refuse_unloadable(model)
    if cfg.data:  # a saved DatasetDict's split, said once for every model
        cfg = cfg.model_copy(update={"data": asked_split(cfg.data)})
    said = {}  # each run trained on raw text alone: why it continues the questions as written
    for run in runs:
        # As generate asks it: a run trained on raw text alone continues each question (and so
        # are the models beside it asked, alike).
        template, why = asked_template(run, cfg.template, cfg.system_prompt)
        if why:
            said[run.path] = why
        # Refuses, before any model loads, a --system-prompt the run's qa or alpaca has no place
        # for; a run's own there was never asked, so a base beside it is not asked with it either.
        prompt = prompt_for(run, template, cfg.system_prompt)
        asked = prompt.template not in ONE_QUESTION_TEMPLATES
        inherited = dict(
            data=cfg.data or run.test_path,
            template=prompt.template,
            system_prompt=prompt.system_prompt if asked else None,
        )
        cfg = cfg.model_copy(update=inherited)
    if not cfg.template and not runs:
        # Read quietly, bad rows left out: evaluate_one reads the file again and says (or
        # refuses) its bad rows once.
        asked = read_examples(test_path(models[0], cfg), "auto", cfg.fields, limit=cfg.limit)
        markers = find_markers(asked.examples)
        cfg = cfg.model_copy(update={"template": markers.fit if markers else None})
    training = next((run.config.data.path for run in runs), None)
    labels = model_labels([str(m) for m in models])
    results = [
        evaluate_one(
            m,
            cfg.model_copy(update={"output": str(out)}),
            training,
            console=console,
            runs=runs,
            label=label,
            notes=[said[run.path]] if run and run.path in said else [],
        )
        for m, run, out, label in zip(models, found, answer_folders(models, cfg, runs), labels)
    ]
    if len(results) > 1:  # kept, as the command keeps it: comparison.md and comparison.json
        longest = max(r.reference_tokens for r in results)
        cut = cut_off_note({r.label: r.rows for r in results}, cfg.max_new_tokens, longest)
        table = comparison(results)
        write_comparison(results, table, cut)
        plot_comparison(results, table, comparison_folder(results))
    return results


def refuse_unrendered(examples: list, prompt: Prompt, tokenizer: Any) -> None:
    """A test row the prompt template cannot render, named before any answer is asked."""
    for ex in examples:
        try:
            prompt.question(ex, tokenizer)
        except TunelabError as err:
            raise TunelabError(f"{ex.source}: {err}") from None


def evaluate_one(
    model: str | Run,
    cfg: EvalConfig,
    training: str | None = None,
    *,
    console: Console | None = None,
    runs: Sequence[Run] = (),
    label: str = "",
    answers: Sequence | None = None,
    notes: Sequence[str] = (),
) -> EvalResult:
    """Answer `cfg`'s test questions with one model or run, score, analyse (with the words of
    `training`, default the run's training data) and write them, asked as `tunelab eval` asks
    (a run trained on raw text alone continues each question); `label` names the model in
    the reports (default: the model as given). `answers`, the model's replies to those
    questions in their order (tunelab.generation.generate.Generation), are scored as given, no model
    loaded: the demo's, asked once. `notes` (how `evaluate` chose to ask) lead the result's."""
    from tunelab.evaluate.facts.score_notes import echo_note, echoed_facts, facts_named_note
    from tunelab.run import load_model, load_tokenizer

    run, label = Run.find(model), label or str(model)
    # As `evaluate` and generate ask it: a run trained on raw text alone continues each question.
    template, why = asked_template(run or model, cfg.template, cfg.system_prompt)
    prompt = prompt_for(run or model, template, cfg.system_prompt)
    refuse_system_prompt_of(run or model, prompt, cfg.system_prompt)
    path = test_path(run or model, cfg)
    examples = test_questions(path, cfg, [run, *runs] if run else runs, EVAL_ROW_HINT)
    checks = TestChecks.read(path, examples, cfg.fields)
    out_dir = output_dir(run or model, cfg)
    replaced = replaced_answers(out_dir, path)
    log = None
    if answers is None:
        llm, tokenizer = load_model(run or model)
        refuse_unrendered(examples, prompt, tokenizer)
        log, answers = _answer_all(llm, tokenizer, examples, prompt, cfg, out_dir, console, label)
    else:
        tokenizer = load_tokenizer(run or model)
        assert len(answers) == len(examples), f"{len(answers)} answers, {len(examples)} asked"
    keys = source_keys(examples, checks.refusals)  # the fact each row asks, for the intervals
    rows = [
        {
            "source": ex.source,
            "question": ex.question,
            **asked_after(ex),
            "reference": ex.answer,
            "answer": g.text,
            "finish_reason": g.finish_reason,
            "completion_tokens": g.completion_tokens,
            "reference_tokens": n,  # the limit its cut-off advice names (`raised_limit`)
            "scores": score_reply(g.text, ex),
            **checks.fields(ex.source, g.text),
            **key,
        }
        for ex, g, n, key in zip(examples, answers, reference_tokens(examples, tokenizer), keys)
    ]
    if cfg.embeddings:
        sims = embedding_similarity([r["answer"] for r in rows], [r["reference"] for r in rows])
        for row, sim in zip(rows, sims):
            row["scores"]["embedding_sim"] = sim
    result = EvalResult(str(model), out_dir, rows, summarize(rows), prompt=prompt, label=label)
    result.asked_with = asked_with(prompt, tokenizer)
    asked = {ex.source: ex.question for ex in examples}
    result.notes += [*notes, *([why] if why else []), *([replaced] if replaced else [])]
    if note := echo_note(echoed_facts(asked, checks.facts)):
        result.notes.append(note)
    if note := rephrasings_note(examples, checks.refusals):
        result.notes.append(note)
    if note := constant_verdict_note(checks.facts, list(asked)):
        result.notes.append(note)
    if note := checks.refusals.canned_note():
        result.notes.append(note)
    if run and (note := trained_on_note(run, path, examples)):
        result.notes.append(note)
    # As `data check` and `train` say it: a run trained with chat, asked `### Question:` rows.
    if wrapped := template_warning(examples, prompt.template):
        result.notes.append(wrapped)
    if note := facts_named_note(rows):  # what the scores of errors.md and summary.json stand on
        result.notes.append(note)
        result.facts_note = note
    result.reference_tokens = max((row["reference_tokens"] for row in rows), default=0)
    if note := cut_off_note({result.label: rows}, cfg.max_new_tokens, result.reference_tokens):
        result.notes.append(note)
    if cfg.analyse:
        # The runs' own training data (never a path the user named): not found, it is said.
        analyse_result(
            result,
            training or (run.config.data.path if run else None),
            runs=[run, *runs] if run else runs,
        )
    write_outputs(result)
    if log is not None:
        log.remove()
    return result


def _answer_all(llm, tokenizer, examples, prompt, cfg, out_dir, console, label) -> tuple:
    """Each test question answered, logged as made (a rerun asks only the rest): evaluate_one's."""
    from tunelab.generation.generate import answer
    from tunelab.progress import answer_bars, counting
    from tunelab.work_log import AnswerLog

    settings = dict(max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature)
    log = AnswerLog.for_model(out_dir / ANSWER_LOG, llm, **settings)
    if console is not None and (note := log.resumed()):
        console.print(note, markup=False)  # its log's path, as the user named the folder
    with answer_bars(console) as bars:
        count = counting(bars, f"answering ({Path(label).name})", len(examples))
        generations = answer(
            llm,
            tokenizer,
            examples,
            template=prompt.template,
            system_prompt=prompt.system_prompt,
            batch_size=cfg.batch_size,
            log=log,
            on_batch=count,
            on_step=count.step,
            **settings,
        )
    return log, generations


def training_examples(
    path: str | None, named: bool = False, notes: list | None = None, runs: Sequence[Run] = ()
) -> list:
    """The training data for retrieval, read as the one of `runs` that trained on it read it
    (its data.shape and data.fields: custom columns were no usable rows, and eval failed after
    answering). A file `named` by the user that is not there is an error; the run's own, gone
    (or written relative to another folder), is said in `notes`: the reports had silently no
    similar training rows."""
    if not path:
        return []
    if not Path(path).exists():
        if named:
            raise TunelabError(f"{path}: no such training data file")
        if notes is not None:
            notes.append(
                f"the run's training data {path} is not found from {Path.cwd()}: the reports show "
                f"no similar training rows {PASS_DATA}"
            )
        return []
    return loaded_as_read(path, runs, on_error="skip").examples


def analyse_result(
    result: EvalResult, training_path: str | None, named: bool = False, runs: Sequence[Run] = ()
) -> None:
    """Categorize weak answers (rows gain 'errors') and write errors.md / errors.html;
    `named`: the training path is the user's, not the run's; `runs` read their own data."""
    from tunelab.evaluate.analysis import analyse
    from tunelab.evaluate.report import write_reports

    training = training_examples(training_path, named, result.notes, runs)
    # A base model's answers, asked beside a run, are analysed with the run's data it never saw.
    analysis = analyse(result.rows, training, trained=Run.find(result.model) is not None)
    result.summary.update({f"errors.{k}": v for k, v in analysis.counts.items()})
    write_reports(
        analysis,
        result.out_dir,
        {k: v for k, v in result.summary.items() if not k.startswith("errors.")},
        asked=result.asked(),
        intervals=result.intervals,
        notes=result.notes,
    )
    result.analysis = analysis


def errors(run: str | Run, data: str | None = None) -> EvalResult:
    """The Python API of `tunelab errors`: analyse again the answers the last `evaluate` wrote in a
    run (or an eval folder), with the closest examples of `data` (default: the run's training
    data); rewrites the reports."""
    from tunelab.models.names import beside_said, meant_here

    found = Run.find(run)
    if found is None and not Path(run).is_dir():  # it read "run `tunelab eval` on this run first"
        # A name too far from any to be meant ("runs/wlak") gets the runs beside it, as eval's does.
        beside = meant_here(str(run)) or beside_said(Path(run))
        raise TunelabError(f"{run}: no such run or eval folder{beside}")
    out_dir = found.out_dir("eval") if found else Path(run)
    if found and not (out_dir / ANSWERS_FILE).exists():  # compare's answers are apart
        raise TunelabError(
            f"{run}: no eval answers to analyse ({out_dir / ANSWERS_FILE} not found; "
            f"`tunelab compare` keeps its own in compare/): run `{command('eval', run)}` first"
        )
    held = sorted(str(p.parent) for p in out_dir.glob(f"*/{ANSWERS_FILE}"))
    if held and not (out_dir / ANSWERS_FILE).exists():  # eval X Y --output D: D/model1, D/model2
        raise TunelabError(
            f"{run}: a comparison's folder; give one of its eval folders: {first_few(held)}"
        )
    rows = read_rows(out_dir / ANSWERS_FILE)
    earlier = earlier_summary(out_dir)  # its model's name, not the path given here
    model = earlier.get("model") or str(run)
    result = EvalResult(
        model,
        out_dir,
        rows,
        summarize(rows),
        prompt=asked_before(earlier),
        asked_with=earlier.get("asked_with", ""),
        label=earlier.get("label", ""),
    )
    # What eval said of its answers and test set stays in the files rewritten here; what it said
    # of the training data is looked up again (--data may give it now).
    result.notes += [n for n in earlier.get("notes", []) if not n.endswith(PASS_DATA)]
    # An eval folder's run: the one it names, or (a base model's answers beside a run's,
    # <run>/eval/<base>) the run whose eval folder holds it. Without it the reports were
    # rewritten with no training data, silently.
    holder = out_dir.parent.parent if out_dir.parent.name == "eval" else None
    found = found or Run.find(model) or (Run.find(holder) if holder else None)
    if not data and found is None:
        result.notes.append(
            f"no training data is known for {out_dir}: the reports show no closest training rows "
            f"and no fact's count in the training answers {PASS_DATA}"
        )
    runs = [found] if found else []
    analyse_result(result, data or (found.config.data.path if found else None), bool(data), runs)
    write_outputs(result)
    return result
