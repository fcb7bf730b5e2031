"""Data generation, measured: each mode of `tunelab data generate` (and `data augment`) on two
document sets, tunelab's own README and docs, and the READMEs of four libraries tunelab installs
(typer, rich and fastapi, MIT; httpx, BSD-3-Clause; written out by this script from the installed
packages, with their licences), giving pairs per minute, parse rate, grounded rate and samples.

    .venv/bin/python benchmarks/data_generate.py --out /tmp/datagen --chunks 6

`llm` runs twice on tunelab's set: under the pairs' JSON schema (what tunelab does) and asked by
the prompt alone (what it did before), each without retries, so the parse rate is the first try's.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from importlib.metadata import distribution
from pathlib import Path

from tunelab.data.generate.augment.augment_rows import AugmentConfig, augment
from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.llm import LocalLLM
from tunelab.data.generate.shared import GenerateConfig

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("typer", "rich", "fastapi", "httpx")
# README sections that are not documentation: sponsors, praise, licences, changelogs.
NOT_DOCS = re.compile(
    r"sponsor|opinions|documentary|license|contribut|release information|fixed|changelog", re.I
)


def write_library_docs(folder: Path) -> list[str]:
    """Each library's README (its PyPI description) as Markdown without HTML or non-doc sections,
    and NOTICE.md naming each one's version and licence, with the licence text."""
    folder.mkdir(parents=True, exist_ok=True)
    notice = ["# Sources\n"]
    for name in LIBRARIES:
        dist = distribution(name)
        text = re.sub(r"<[^>]+>", "", dist.metadata.get_payload() or "")
        kept, skipping = [], False
        for line in text.splitlines():
            if m := re.match(r"^(#+)\s+(.*)", line):
                skipping = bool(NOT_DOCS.search(m.group(2)))
            if not skipping:
                kept.append(line)
        (folder / f"{name}.md").write_text("\n".join(kept), encoding="utf-8")
        licence = dist.metadata.get("License-Expression") or dist.metadata.get("License")
        notice.append(f"## {name} {dist.version} ({licence})\n")
        for file in dist.files or []:
            if re.search(r"licen[cs]e", file.name, re.I):
                notice.append(
                    f"```\n{Path(file.locate()).read_text(errors='replace').strip()}\n```\n"
                )
    (folder / "NOTICE.txt").write_text("\n".join(notice), encoding="utf-8")  # not a .md: not read
    return [str(folder)]


class PromptOnly:
    """The same local model asked for JSON by the prompt alone, as before issue 18."""

    def __init__(self, llm: LocalLLM) -> None:
        self.llm, self.name = llm, llm.name

    def complete(self, conversations, temperature, schema=None):
        return self.llm.complete(conversations, temperature)


def run(label: str, set_name: str, config, llm) -> dict:
    started = time.perf_counter()
    if isinstance(config, AugmentConfig):
        stats = augment(config, llm)
        pairs, parsed = stats.written, (stats.replies - stats.unparsed, stats.replies)
        grounded, dropped = None, dict(stats.dropped)
    else:
        stats = generate_dataset(config, llm, progress=False)
        pairs, parsed = stats.pairs, (stats.replies - stats.unparsed, stats.replies)
        checked = stats.pairs + stats.ungrounded
        grounded = (stats.pairs, checked) if config.mode != "self-instruct" else None
        dropped = dict(stats.dropped)
    seconds = time.perf_counter() - started
    written = Path(config.output)
    rows = (
        [json.loads(line) for line in written.read_text().splitlines()] if written.exists() else []
    )
    if isinstance(config, AugmentConfig):
        rows = [r for r in rows if r["meta"]["kind"] == "paraphrase"]
    result = {
        "mode": label, "set": set_name, "pairs": pairs, "seconds": round(seconds, 1),
        "pairs_per_minute": round(60 * pairs / seconds, 1), "parsed": parsed,
        "grounded": grounded, "dropped": dropped, "rows": rows,
    }  # fmt: skip
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}), flush=True)
    return result


def table(results: list[dict]) -> str:
    lines = [
        "| mode | documents | pairs | time | pairs/min | parse rate | grounded rate |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        parse = f"{r['parsed'][0]}/{r['parsed'][1]}" if r["parsed"][1] else "no model"
        grounded = f"{r['grounded'][0]}/{r['grounded'][1]}" if r["grounded"] else "n/a"
        lines.append(
            f"| {r['mode']} | {r['set']} | {r['pairs']} | {r['seconds']:.0f} s | "
            f"{r['pairs_per_minute']:.1f} | {parse} | {grounded} |"
        )
    return "\n".join(lines)


def samples(results: list[dict], per_mode: int) -> str:
    """Sample pairs per mode, each a JSON line in a code block, as the rows hold them: data, which
    template mode reading the README they are pasted into takes for no FAQ of its own (written as
    "- Q: ... A: ..." items, they were, and its garbled rewrites trained as pairs)."""
    out = []
    for mode in dict.fromkeys(r["mode"] for r in results):
        rows = [row for r in results if r["mode"] == mode for row in _spread(r["rows"], per_mode)]
        out.append(f"\n**{mode}**\n")
        if not rows:
            out.append("(none kept)")
            continue
        shown = [
            {"question": row["question"], "answer": " ".join(row["answer"].split())[:200]}
            for row in _spread(rows, per_mode)
        ]
        out.append(
            "```jsonl\n" + "\n".join(json.dumps(r, ensure_ascii=False) for r in shown) + "\n```"
        )
    return "\n".join(out)


def _spread(rows: list, n: int) -> list:
    step = max(len(rows) / n, 1)
    return [rows[int(i * step)] for i in range(min(n, len(rows)))]


def fresh(path: Path) -> str:
    path.unlink(missing_ok=True)
    return str(path)


def jobs(args, sets: dict[str, list[str]]) -> list[tuple[str, str, str, object, bool]]:
    """(key, mode, documents, config, uses the model) for every measurement."""
    out, found = args.out, []
    ask = dict(pairs_per_chunk=3, retries=0, max_new_tokens=args.max_new_tokens, batch_size=4)
    for i, (name, paths) in enumerate(sets.items()):
        template = out / f"template-{i}.jsonl"
        found.append(
            (
                f"template-{i}",
                "template",
                name,
                GenerateConfig(docs=paths, output=str(template)),
                False,
            )
        )
        llm = GenerateConfig(
            docs=paths, output=str(out / f"llm-{i}.jsonl"), mode="llm", limit=args.chunks, **ask
        )
        found.append((f"llm-{i}", "llm (schema)", name, llm, True))
        if i:
            continue
        prompt_only = llm.model_copy(update={"output": str(out / "prompt-only.jsonl")})
        found.append(("prompt-only", "llm (prompt only)", name, prompt_only, True))
        seeds = out / "seeds.jsonl"  # every 40th row of the demo's hand-written training set
        demo = (ROOT / "tunelab/demo/tunelab_qa_train.jsonl").read_text().splitlines()
        seeds.write_text("".join(line + "\n" for line in demo[::40]))
        config = GenerateConfig(mode="self-instruct", seeds=str(seeds), count=args.count,
                                output=str(out / "self-instruct.jsonl"),
                                **{**ask, "batch_size": 2}, concurrency=1)  # fmt: skip
        found.append(("self-instruct", "self-instruct", name, config, True))
        source = out / "augment-source.jsonl"  # the first template pairs, written before it runs
        config = AugmentConfig(data=str(source), output=str(out / "augment.jsonl"),
                               paraphrases=3, batch_size=4, max_new_tokens=args.max_new_tokens)  # fmt: skip
        found.append(("augment", "augment (3 phrasings)", name, config, True))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/datagen"))
    parser.add_argument("--only", help="comma-separated keys: template-0,llm-0,prompt-only,...")
    parser.add_argument("--chunks", type=int, default=6, help="chunks asked about per llm run")
    parser.add_argument("--count", type=int, default=2, help="self-instruct pairs to reach")
    parser.add_argument("--questions", type=int, default=6, help="questions augment rewrites")
    parser.add_argument("--samples", type=int, default=10, help="sample pairs per mode")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    args = parser.parse_args()
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    docs = [str(ROOT / "README.md"), str(ROOT / "benchmarks" / "README.md")]
    docs += [str(ROOT / "docs")] if (ROOT / "docs").is_dir() else []
    sets = {
        "tunelab README + docs": docs,
        "4 library READMEs": write_library_docs(args.out / "libs"),
    }
    wanted = set(args.only.split(",")) if args.only else None
    llm = None
    for key, mode, name, config, needs_model in jobs(args, sets):
        if wanted is not None and key not in wanted:
            continue
        if needs_model and llm is None:
            llm = LocalLLM(args.model, max_new_tokens=args.max_new_tokens, batch_size=4)
        fresh(Path(config.output))
        if key == "augment":
            template = (args.out / "template-0.jsonl").read_text().splitlines(True)
            Path(config.data).write_text("".join(template[: args.questions]))
        asker = (PromptOnly(llm) if key == "prompt-only" else llm) if needs_model else None
        result = run(mode, name, config, asker)
        (args.out / "results" / f"{key}.json").write_text(json.dumps(result))
    order = [key for key, *_ in jobs(args, sets)]
    saved = [args.out / "results" / f"{key}.json" for key in order]
    results = [json.loads(path.read_text()) for path in saved if path.exists()]
    report = table(results) + ("\n" + samples(results, args.samples) if args.samples > 0 else "")
    (args.out / "results.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
