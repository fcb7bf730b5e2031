"""`tunelab compare`: one test set asked four ways — the base model prompted, the base model
with retrieved passages (RAG), the finetuned run, the finetuned run with RAG — scored alike, so a
team sees whether finetuning beat prompting, and whether retrieval adds to either. Where the test
rows name the facts an answer must state, the arms are ranked by those facts.

Every arm gets the run's own template and system prompt (a run trained on raw text alone: each
question continued as written, as eval and generate ask it), and the same passages (as many, best
first, as the model's context holds beside the answer), so the only differences are the weights
and the context. Given a model instead of a run, the two prompting arms alone are asked (with the
model's own chat template, or the one its test rows' markers fit, or --template and
--system-prompt, as eval takes them): does retrieval over the documents already answer the test
set, before any training?"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from tunelab.compare.arms import Arm, ask
from tunelab.compare.leaks import leak_note
from tunelab.compare.report import resumed_note, write_report
from tunelab.config import OptionalLocalPath
from tunelab.data.markers import find_markers, template_warning
from tunelab.data.prompts.templates import Prompt
from tunelab.data.quality.dedup import own_rows
from tunelab.data.retrieval import Passage, Retriever, load_corpus
from tunelab.errors import TunelabError
from tunelab.evaluate.eval_config import ANSWER_TOKENS, EvalConfig
from tunelab.evaluate.facts.score_notes import echo_note, echoed_facts, facts_named_note
from tunelab.evaluate.facts.yes_no import constant_verdict_note
from tunelab.evaluate.scores import TestChecks, cut_off_note
from tunelab.evaluate.testset import rephrasings_note, test_path, test_rows
from tunelab.progress import answer_bars
from tunelab.run import Run, asked_template, prompt_for
from tunelab.run_prompt import how_asked
from tunelab.section import Limit, Section


class CompareConfig(Section):
    """Settings of `tunelab compare`."""

    run_section: ClassVar[str | None] = "data"  # `--set data.fields.question=Query`, as in a run

    data: OptionalLocalPath = None
    """Test file (default: the run's data.test_path, or the rows its data.test_size held out;
    required for a model that is no run)."""
    fields: dict[str, str] = Field(default_factory=dict)
    """The test file's columns renamed to a shape's names, e.g. {question: Query} (default: the
    run's data.fields where the file is its own); a --corpus of those columns is read so too."""
    corpus: OptionalLocalPath = None
    """What RAG retrieves from: a Q&A file or documents (default: the run's training data;
    required for a model that is no run)."""
    base: OptionalLocalPath = None
    """The model to prompt (default: the run's base model; a run only)."""
    template: str | None = None
    """Prompt template, as eval's (default: the model's own chat template, or qa for rows in its
    `### Question:` form; a model, or a run trained on raw text alone (default: text): a run's
    arms are asked with its own)."""
    system_prompt: str | None = None
    """System prompt, as eval's (default: none; a model, or a run trained on raw text alone: a
    run's arms are asked with its own)."""
    k: int = Field(3, ge=1)
    """Passages per question."""
    limit: Limit = None
    """Only the first N test questions."""
    max_new_tokens: int = Field(ANSWER_TOKENS, ge=1)
    """The longest answer, in tokens."""
    batch_size: int = Field(64, ge=1)
    """Questions decoded together (on a CPU, 64 make ~2x the tokens a second that 8 do)."""
    output: OptionalLocalPath = None
    """Output folder (default: <run>/compare, or compare/<model name> for a model)."""


@dataclass
class Comparison:
    run: str
    arms: list[Arm]
    own_rows: int  # corpus rows never retrieved as they are a test row again (`own_rows`)
    out_dir: Path
    questions_with_own_rows: int = 0
    notes: list[str] = field(default_factory=list)  # what a person should know of the test set
    prompt: Prompt | None = None  # how every arm was asked
    # The same, as the reports say it where `prompt` alone misleads (`run_prompt.asked_with`).
    asked_with: str = ""
    # What RAG retrieved from, as said: "docs", "qa.jsonl (the run's training data)".
    corpus: str = "the run's training data"
    test_file: str = ""  # the file the questions were read from (--data, or the run's)
    limited: bool = False  # --limit left rows of test_file unasked

    def asked(self) -> str:
        """How the questions were asked, for the reports ("" when not known), as eval's."""
        return how_asked(self.asked_with, self.prompt)


def compare(model: str | Run, cfg: CompareConfig | None = None) -> Comparison:
    """Ask the test questions four ways, or, of a model that is no run, the two prompting ways,
    and score every answer."""
    cfg = cfg or CompareConfig()
    found = Run.find(model)
    if found is None:
        _refuse_without_run(str(model), cfg)
    else:
        _refuse_prompt_of_run(found, cfg)
    # As eval and generate ask it: a run trained on raw text alone continues each question.
    template, continues = asked_template(found or model, cfg.template, cfg.system_prompt)
    # Refuses a --system-prompt that --template qa or alpaca has no place for, before any reading.
    prompt = prompt_for(found or model, template, cfg.system_prompt)
    tests = EvalConfig(data=cfg.data, limit=cfg.limit, fields=cfg.fields)
    path = test_path(found or model, tests)
    asked_rows = test_rows(path, tests, [found] if found else [])
    examples = asked_rows.examples
    if not found and not cfg.template and (markers := find_markers(examples)):
        # As eval asks a model: `### Question:` rows in qa, which passes them through, where the
        # chat template wrapped the plain arm's markers again and the RAG arm's (stripped) not.
        prompt = prompt_for(model, markers.fit, cfg.system_prompt)
    checks = TestChecks.read(path, examples, tests.fields)
    corpus = _corpus(found, cfg)
    retriever = Retriever(corpus)
    skipped = own_rows(corpus, examples)
    contexts = [retriever.search(ex.question, cfg.k, s) for ex, s in zip(examples, skipped)]
    out_dir = Path(cfg.output) if cfg.output else _out_dir(found or str(model))
    asked_models = (
        [("prompting", cfg.base or found.base_model), ("finetuned", found)]
        if found
        else [("prompting", str(model))]
    )
    arms, logs = [], []
    progress = answer_bars()
    with progress:
        for label, name in asked_models:
            log_path = out_dir / f"answers-{label}.partial.jsonl"
            two_arms, log = ask(
                name, label, examples, contexts, checks, prompt, cfg, progress, log_path
            )
            arms += two_arms
            logs.append(log)
    excluded = len(set().union(*skipped))
    result = Comparison(str(model), arms, excluded, out_dir, sum(map(bool, skipped)), prompt=prompt)
    result.test_file = str(path)
    if not found:  # a model's own chat template: an export's may hold a qa run's layout
        result.asked_with = arms[0].asked_with
    result.limited = asked_rows.cut
    # Without --corpus, _corpus read the run's own file (or refused).
    result.corpus = str(cfg.corpus or f"{found.config.data.path} (the run's training data)")
    if not found:  # said first: the question it answers is not the one a run's compare answers
        result.notes.append(
            f"the finetuned arms were not asked: {model} is a model, not a run; train a run on it "
            "(tunelab train), then `tunelab compare RUN` asks all four ways"
        )
    asked = {ex.source: ex.question for ex in examples}
    result.notes += filter(None, [continues, facts_named_note(arms[0].rows)])
    result.notes += filter(None, [echo_note(echoed_facts(asked, checks.facts))])
    result.notes += filter(None, [constant_verdict_note(checks.facts, list(asked))])
    result.notes += filter(
        None, [rephrasings_note(examples, checks.refusals), checks.refusals.canned_note()]
    )
    # As eval says it: a run trained with chat, asked `### Question:` rows, or a --template.
    result.notes += filter(None, [template_warning(examples, prompt.template)])
    longest = max(arm.reference_tokens for arm in arms)
    cut = cut_off_note({a.name: a.rows for a in arms}, cfg.max_new_tokens, longest)
    result.notes += filter(None, [cut, resumed_note(arms)])
    if not found or not _trained_on(found, cfg.corpus):
        result.notes += filter(None, [leak_note(arms, examples)])
    if found and not cfg.base and Run.find(found.base_model):
        # Trained from another run (continued pretraining, say): "prompting" is that run, not
        # the published model, and only the model column said so.
        result.notes.append(
            f"prompting asks {found.base_model}, the run this one was trained from; pass --base "
            "MODEL to prompt the model that run started from"
        )
    write_report(result, cfg)
    for log in logs:
        log.remove()
    return result


def _refuse_without_run(model: str, cfg: CompareConfig) -> None:
    """A model that is no run has no test set, training data or base model of its own: its
    compare needs --data and --corpus, and has no use for --base. A name that names nothing is
    refused first, as eval refuses it (a mistyped run is not told to pass --data), and so is a
    run that saved no model yet (not told it is "a model, not a run")."""
    from tunelab.run import refuse_unloadable

    refuse_unloadable(model)
    if cfg.base:
        raise TunelabError(
            f"--base: {model} is a model, not a run, and --base replaces a run's base model; "
            f"compare {cfg.base} itself (tunelab compare {cfg.base} --data TEST --corpus DOCS)"
        )
    missing = [option for option, value in (("--data", cfg.data), ("--corpus", cfg.corpus))
               if not value]  # fmt: skip
    if missing:
        raise TunelabError(
            f"{' and '.join(missing)}: {model} is a model, not a run, so it has no test set or "
            "training data of its own: pass --data TEST.jsonl (question/answer rows) and "
            "--corpus DOCS (a Q&A file or documents) to compare prompting with prompting + RAG"
        )


def _refuse_prompt_of_run(run: Run, cfg: CompareConfig) -> None:
    """--template and --system-prompt ask a model that is no run; a run's four arms are asked
    with its own, so that they differ only in weights and context (the finetuned arm asked in a
    prompt it was not trained on measures that prompt). A run trained on raw text alone has no
    prompt of its own: it continues each question unless asked otherwise, as eval asks it."""
    given = [o for o, v in (("--template", cfg.template), ("--system-prompt", cfg.system_prompt))
             if v]  # fmt: skip
    if given and not run.trained_on_text:
        options = " and ".join(given)
        raise TunelabError(
            f"{options}: {run.path} is a run, and all its arms are asked with its own template "
            f"and system prompt (data.template, data.system_prompt in its config.yaml): leave "
            f"{options} out, or compare a model (tunelab compare MODEL --data TEST --corpus DOCS "
            f"{options} ...)"
        )


def _out_dir(model: str | Run) -> Path:
    """<run>/compare, or compare/<model name> for a model that is no run."""
    from tunelab.models.load import model_folder

    if isinstance(model, Run):
        return model.out_dir("compare")
    return Path("compare") / model_folder(model)


def _trained_on(found: Run, corpus: str | None) -> bool:
    """Whether the corpus is the file the run trained on (its default): the finetuned arm then
    learnt every passage the RAG arms are shown."""
    trained = found.config.data.path
    return not corpus or bool(trained) and Path(corpus).resolve() == Path(trained).resolve()


def _corpus(found: Run | None, cfg: CompareConfig) -> list[Passage]:
    """--corpus, else the run's training data; the run's data file, or another of its columns,
    read as training read it (its data.shape and data.fields: a file of custom columns is of no
    shape auto-detection knows), and one of the columns --set data.fields maps read through them."""
    from tunelab.data.load import has_columns

    data = found.config.data if found else None
    path = cfg.corpus or data.path
    if not path:
        raise TunelabError(f"{found.path}: no training data file to retrieve from: pass --corpus")
    if found and found.reads(path):
        return load_corpus(path, shape=data.shape, fields=data.fields)
    # The corpus's "map your columns: --set data.fields..." advice then works (the fields went
    # to the test file alone, and the corpus was refused again with the same advice).
    return (
        load_corpus(path, fields=cfg.fields) if has_columns(path, cfg.fields) else load_corpus(path)
    )
