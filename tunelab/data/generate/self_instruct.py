"""Self-instruct (Alpaca style): grow a few seed Q&A pairs into many new, different ones, each
kept only when it passes the same quality filters as every generated row."""

from __future__ import annotations

import json
import random
from functools import partial

from tunelab.data.generate.filters import BARE_VERDICT
from tunelab.data.generate.llm import LLM
from tunelab.data.generate.shared import (
    GenerateConfig,
    GenerateStats,
    Output,
    ask_pairs,
    fill,
    keep_or_drop,
    progress_bar,
    prompt_text,
)
from tunelab.data.load import OPTION_SKIP_HINT, load_examples
from tunelab.data.markers import plain_question
from tunelab.data.quality.dedup import MIN_QUOTED_WORDS, jaccard, shingles
from tunelab.data.question_keys import normalize_text
from tunelab.data.text import words
from tunelab.errors import TunelabError

SELF_INSTRUCT_PROMPT = """Here are example tasks, each an instruction with its answer:
{examples}

Write {n} new tasks that differ from these in topic and wording, each with a correct answer.
Reply with only JSON, like {"pairs": [{"question": "...", "answer": "..."}]}."""


def self_instruct(
    config: GenerateConfig, llm: LLM, out: Output, stats: GenerateStats, progress: bool
) -> None:
    """Ask for new pairs unlike a few sampled seeds until `config.count` pass the filters."""
    if not config.seeds:
        raise TunelabError("self-instruct mode needs --seeds FILE with a few question/answer pairs")
    # As a reader sees them: lamini_docs' "### Question:" markers, shown in every prompt, were
    # copied into new pairs, and a seed asked again without them passed as a new question.
    seeds = [
        (plain_question(e.question), e.answer)
        for e in load_examples(
            config.seeds, fields=config.fields, on_error=config.on_error, skip_hint=OPTION_SKIP_HINT
        )
    ]
    # New pairs answer as the seeds do: a bare "Yes" is a task's answer only where a seed's is.
    verdicts_ok = any(BARE_VERDICT.fullmatch(a.strip()) for _, a in seeds)
    seed_answers = {normalize_text(a): normalize_text(q) for q, a in seeds}  # answer: its question
    # What a new answer must not nearly copy: the seeds' answers, and those of the pairs kept.
    seed_shingles = [shingles(a) for _, a in seeds]
    kept = [shingles(row["answer"]) for row in out.written()]
    copy_of = partial(near_copy, seeds=seed_shingles, kept=kept, threshold=config.max_similarity)
    for question, _ in seeds:  # a seed asked again is no new instruction
        out.remember_question(question)
    template = prompt_text(config.prompt, SELF_INSTRUCT_PROMPT)
    rng = random.Random(config.seed + out.rows_of_mode)
    stats.done_before = out.rows_of_mode
    rounds, max_rounds = 0, 3 + 3 * config.count // max(config.pairs_per_chunk, 1)
    with progress_bar(progress, config.count, "pairs", out.rows_of_mode) as advance:
        while out.rows_of_mode < config.count and rounds < max_rounds:
            prompts = []
            for _ in range(config.prompts_per_ask):
                shown = rng.sample(seeds, min(config.seeds_per_prompt, len(seeds)))
                examples = "\n".join(json.dumps({"question": q, "answer": a}) for q, a in shown)
                prompts.append(
                    [
                        {
                            "role": "user",
                            "content": fill(template, examples=examples, n=config.pairs_per_chunk),
                        }
                    ]
                )
            before = out.rows_of_mode
            with out.chunk():  # a round's rows share its chunk_hash: one write
                for pairs in ask_pairs(config, llm, prompts, stats):
                    if pairs is None:
                        stats.malformed += 1
                        continue
                    for q, a in pairs[: config.pairs_per_chunk]:
                        if out.rows_of_mode >= config.count:
                            break
                        meta = {
                            "source": config.seeds,
                            "chunk_hash": f"round-{rounds}",
                            "generator": llm.name,
                        }
                        seed_question = seed_answers.get(normalize_text(a))
                        if seed_question not in (None, normalize_text(q)):
                            # A seed's answer to a new question ("Yes, we have a REST API" to
                            # "How can I handle long texts?"): wrong, and no new task.
                            stats.dropped["answer copies a seed's answer"] += 1
                            continue
                        if keep_or_drop(
                            config, q, a, None, out, stats, meta, similar=True,
                            verdicts_ok=verdicts_ok, copy_of=copy_of,
                        ):  # fmt: skip
                            kept.append(shingles(a))
            advance(out.rows_of_mode - before)
            rounds += 1


def near_copy(
    answer: str, seeds: list[set[str]], kept: list[set[str]], threshold: float
) -> str | None:
    """Why `answer` is no new one: nearly a seed's answer or a kept pair's word for word (their
    word-shingle sets), as `data check` measures near-duplicates; None when it is new. An answer
    of a few words repeats another by coincidence ("Yes.", "Paris."), never counted a copy."""
    if len(words(answer)) < MIN_QUOTED_WORDS:
        return None
    mine = shingles(answer)
    for answers, whose in ((seeds, "a seed's answer"), (kept, "another new pair's answer")):
        if any(jaccard(mine, theirs) >= threshold for theirs in answers):
            return f"answer nearly copies {whose}"
    return None
