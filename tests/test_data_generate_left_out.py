"""What `tunelab data generate` leaves out of its output, and that it says so: chunks too short to
ask a model about, and on a rerun the rows of text the documents no longer hold."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig


class FirstSentenceLLM:
    """A stand-in model: asked about a chunk, it answers with the chunk's first sentence, and it
    records every chunk it was asked about."""

    name = "first-sentence"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def complete(self, conversations, temperature, schema=None) -> list[str | None]:
        replies = []
        for conversation in conversations:
            chunk = conversation[-1]["content"].split("Text:\n", 1)[1].strip()
            self.asked.append(chunk)
            first = re.split(r"(?<=[.!?])\s", chunk)[0]
            topic = first.rstrip(".").split()[-1]
            replies.append(json.dumps([{"question": f"What about {topic}?", "answer": first}]))
        return replies


def short_docs(folder: Path) -> list[str]:
    # Each says what its title names ("b" for b.txt), which a "What is ...?" answer must.
    (folder / "a.md").write_text("# Title A\n\nTitle A is a document about apples.\n")
    (folder / "b.txt").write_text("B is a text file about bananas.\n")
    return [str(folder / "b.txt"), str(folder / "a.md")]


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def said(output: str) -> str:
    return "".join(output.split())  # the console wraps long paths


def test_documents_too_short_to_ask_about_are_named_with_the_setting_that_keeps_them(tmp_path):
    docs = short_docs(tmp_path)
    out = str(tmp_path / "qa.jsonl")
    command = ["data", "generate", *docs, "-o", out, "--mode", "llm"]
    result = CliRunner().invoke(app, [*command, "--endpoint", "http://127.0.0.1:9"])
    assert result.exit_code == 0, result.output
    # No pair: no file was written, and it said "wrote 0 pairs to qa.jsonl".
    assert "nopairs:" in said(result.output) and not Path(out).exists()
    assert "skipped2chunksshorterthanmin_chunk_tokens(20tokens)" in said(result.output)
    assert "b.txtx1" in said(result.output) and "a.mdx1" in said(result.output)
    assert "--setmin_chunk_tokens=N" in said(result.output)

    llm = FirstSentenceLLM()  # lowered, both are asked about
    config = GenerateConfig(docs=docs, output=out, mode="llm", min_chunk_tokens=5)
    stats = generate_dataset(config, llm, progress=False)
    assert not stats.too_short and len(llm.asked) == 2 and stats.pairs == 2


def test_template_mode_reads_short_documents_too(tmp_path):
    docs = short_docs(tmp_path)
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", *docs, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote2pairs" in said(result.output) and "skipped" not in result.output


def test_template_mode_names_sentences_stating_a_number_that_no_pair_answers(tmp_path):
    # 5 of a newcomer's 28 fact sentences became no pair and nothing said so ("100% grounded").
    doc = tmp_path / "limits.md"
    doc.write_text(
        "# Limits\n\nThe gateway accepts 500 connections per node.\n\n"
        "Between 2 and 4 workers share the queue.\n\nWait 30 seconds, then retry 5 times.\n"
    )
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2sentencesstatinganumberorintroducingcodeareinnoanswer" in said(result.output)
    # Every one is listed with its document (only the first was shown, and nowhere else).
    assert "limits.md:Between2and4workerssharethequeue." in said(result.output)
    assert "Wait30seconds,thenretry5times." in said(result.output)
    assert not any("workers" in row["answer"] for row in rows(out))
    # One such sentence is said as one ("1 sentences ... are" was printed).
    doc.write_text("# Limits\n\nBetween 2 and 4 workers share the queue.\n")
    out.unlink()
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert "1sentencestatinganumberorintroducingcodeisinnoanswer(noruleasksaboutit)" in said(
        result.output
    )


def test_a_first_run_shows_a_few_sentences_in_no_answer_and_writes_them_all_beside_the_output(
    tmp_path, monkeypatch
):
    # 20 whole sentences were printed, a paragraph each at times: 184 lines on docs/generate.md.
    monkeypatch.chdir(tmp_path)
    shared = ["queue", "log", "cache", "index", "spool", "outbox", "inbox"]
    long = (
        "Wait 30 seconds, then retry 5 times, and if the gateway still refuses the connection "
        "after the fifth retry, page the on-call engineer and open an incident."
    )
    Path("limits.md").write_text(
        f"# Limits\n\nThe gateway accepts 500 connections per node.\n\n{long}\n\n"
        + "\n\n".join(
            f"Between {i} and {i + 2} workers share the {s}." for i, s in enumerate(shared)
        )
    )
    result = CliRunner().invoke(app, ["data", "generate", "limits.md", "-o", "qa.jsonl"])
    assert result.exit_code == 0, result.output
    assert (
        "8 sentences stating a number or introducing code are in no answer (no rule asks about "
        "them): their facts are in no row; write pairs for them, or --mode llm asks a model (the "
        "first 5, all in qa.jsonl.unasked.jsonl):"
    ) in " ".join(result.output.split())
    shown = [line for line in result.output.splitlines() if line.startswith("  limits.md: ")]
    assert len(shown) == 5 and "... and" not in result.output
    assert shown[0].endswith("…") and len(shown[0]) <= 80  # the long one, cut to its line
    assert shown[1] == "  limits.md: Between 0 and 2 workers share the queue."
    listed = rows(tmp_path / "qa.jsonl.unasked.jsonl")
    assert [(r["source"], r["sentence"]) for r in listed][:2] == [
        ("limits.md", long),
        ("limits.md", "Between 0 and 2 workers share the queue."),
    ]
    assert len(listed) == 8
    # A rerun asks nothing again, and the file keeps what the first run found.
    again = CliRunner().invoke(app, ["data", "generate", "limits.md", "-o", "qa.jsonl"])
    assert "in no answer" not in again.output
    assert rows(tmp_path / "qa.jsonl.unasked.jsonl") == listed


def test_a_note_s_number_its_pair_answers_is_not_listed_as_in_no_answer(tmp_path):
    # "Note: the check gives up after 10 seconds." was asked, and still listed as in no answer:
    # its answer is the statement without its label.
    doc = tmp_path / "checks.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Checks\n\nThe agent checks its collector.\n\n"
        "Note: The check gives up after 10 seconds.\n"
    )
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "The check gives up after 10 seconds." in [row["answer"] for row in rows(out)]
    assert "innoanswer" not in said(result.output)


def test_a_number_answered_in_the_words_its_pair_states_it_in_is_not_listed(tmp_path):
    # "It runs on Windows 10 ..." is answered as "Ferrylog runs on Windows 10 ...", and "To set a
    # proxy, add ..." as its step, "Add ...": both were listed as in no answer (harborline's
    # documents: 2 of the 5 listed).
    doc = tmp_path / "ferrylog.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog is a background service that ships the logs of a workstation to a "
        "central server. It runs on Windows 10 or later.\n\n"
        "## Proxy\n\nTo set a proxy, add `proxy_port = 3128` to `ferry.toml`.\n"
    )
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    answers = [row["answer"] for row in rows(out)]
    assert "Ferrylog runs on Windows 10 or later." in answers
    assert "Add `proxy_port = 3128` to `ferry.toml`." in answers
    assert "innoanswer" not in said(result.output)


def test_a_rerun_after_an_edit_replaces_the_edited_chunks_rows_and_says_so(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    short_docs(docs)
    (tmp_path / "other.md").write_text("# Other\n\nOther document body about cherries.\n")
    out = tmp_path / "qa.jsonl"
    other = GenerateConfig(docs=[str(tmp_path / "other.md")], output=str(out))
    generate_dataset(other, progress=False)
    other_row = out.read_text()
    config = GenerateConfig(docs=[str(docs)], output=str(out))
    generate_dataset(config, progress=False)

    (docs / "b.txt").write_text("B is a text file about bananas. They grow in bunches.\n")
    result = CliRunner().invoke(app, ["data", "generate", str(docs), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "dropped1rowanearlierrunmadefromtextsinceeditedorremoved" in said(result.output)
    assert "duplicate" not in result.output  # the new pair no longer loses to the old one
    answers = {Path(r["meta"]["source"]).name: r["answer"] for r in rows(out)}
    assert answers["b.txt"] == "B is a text file about bananas. They grow in bunches."
    assert answers.keys() == {"other.md", "a.md", "b.txt"}
    assert out.read_text().startswith(other_row)  # another run's input is kept, byte for byte

    (docs / "b.txt").unlink()  # a document gone from the folder takes its rows with it
    stats = generate_dataset(config, progress=False)
    assert stats.stale == 1
    assert {Path(r["meta"]["source"]).name for r in rows(out)} == {"other.md", "a.md"}


def test_a_rerun_asks_the_model_only_about_the_chunks_edited_since(tmp_path):
    (tmp_path / "docs").mkdir()
    doc = tmp_path / "docs" / "a.md"
    doc.write_text(
        "# Apples\n\nApples grow on trees in orchards. They are picked in autumn.\n\n"
        "# Pears\n\nPears ripen after they are picked from the tree.\n"
    )
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="llm", min_chunk_tokens=5)
    generate_dataset(config, FirstSentenceLLM(), progress=False)
    written = out.read_text()

    llm = FirstSentenceLLM()
    stats = generate_dataset(config, llm, progress=False)  # nothing changed: nothing asked
    assert (llm.asked, stats.stale, stats.done_before) == ([], 0, 2) and out.read_text() == written

    doc.write_text(doc.read_text().replace("Pears ripen", "Pears soften"))
    stats = generate_dataset(config, llm, progress=False)
    assert llm.asked == ["Pears soften after they are picked from the tree."]
    assert (stats.stale, stats.pairs, stats.done_before) == (1, 1, 1)
    assert [r["answer"] for r in rows(out)] == [
        "Apples grow on trees in orchards.",
        "Pears soften after they are picked from the tree.",
    ]


def test_a_rerun_at_another_chunk_size_keeps_the_rows_and_asks_only_about_new_text(tmp_path):
    doc = tmp_path / "a.md"
    sentences = [f"Apples of kind {n} ripen in week {n} of autumn." for n in range(6)]
    doc.write_text("# Apples\n\n" + "\n\n".join(sentences) + "\n\n# Pears\n\nPears ripen late.\n")
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="llm", min_chunk_tokens=1)
    generate_dataset(config, FirstSentenceLLM(), progress=False)
    written = out.read_text()

    result = CliRunner().invoke(
        app,
        ["data", "generate", str(doc), "-o", str(out), "--mode", "llm"]
        + ["--max-chunk-tokens", "30", "--set", "min_chunk_tokens=1"],
    )
    assert result.exit_code == 0, result.output
    assert "thechunkingchangedsinceanearlierrun:keptitsrows" in said(result.output)
    assert "edited" not in result.output and out.read_text() == written

    doc.write_text(doc.read_text().replace("Pears ripen late.", "Pears ripen in winter."))
    llm = FirstSentenceLLM()
    smaller = config.model_copy(update={"max_chunk_tokens": 30})
    stats = generate_dataset(smaller, llm, progress=False)
    assert llm.asked == ["Pears ripen in winter."]  # the apples' text has its rows already
    assert (stats.stale, stats.pairs) == (1, 1)
    assert [r["answer"] for r in rows(out)][-1] == "Pears ripen in winter."


def test_a_rerun_from_another_directory_finds_the_documents_of_the_rows(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    short_docs(tmp_path / "docs")
    monkeypatch.chdir(tmp_path)
    generate_dataset(GenerateConfig(docs=["docs"], output="qa.jsonl"), progress=False)
    written = (tmp_path / "qa.jsonl").read_text()

    monkeypatch.chdir(tmp_path / "docs")  # the rows' sources, docs/..., are not under here
    stats = generate_dataset(GenerateConfig(docs=["."], output="../qa.jsonl"), progress=False)
    assert (stats.stale, stats.done_before, stats.pairs) == (0, 2, 0)
    assert (tmp_path / "qa.jsonl").read_text() == written


def test_rows_of_an_older_version_are_kept_whatever_the_documents_say(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    short_docs(docs)
    out = tmp_path / "qa.jsonl"
    old = {"mode": "template", "source": str(docs / "gone.md"), "chunk_hash": "0123456789abcdef"}
    out.write_text(json.dumps({"question": "What is gone?", "answer": "It.", "meta": old}) + "\n")
    stats = generate_dataset(GenerateConfig(docs=[str(docs)], output=str(out)), progress=False)
    assert stats.stale == 0 and rows(out)[0]["meta"] == old  # no record of how it was cut


class StatementLLM(FirstSentenceLLM):
    """A stand-in model whose every pair the filters drop: its questions are statements."""

    def complete(self, conversations, temperature, schema=None) -> list[str | None]:
        return [r.replace("?", ".") for r in super().complete(conversations, temperature, schema)]


def two_sections(doc: Path) -> None:
    doc.write_text(
        "# Apples\n\nApples grow on trees in orchards. They are picked in autumn.\n\n"
        "# Pears\n\nPears ripen after they are picked from the tree.\n"
    )


def test_a_rerun_does_not_ask_again_about_chunks_whose_pairs_were_all_dropped(tmp_path):
    doc = tmp_path / "a.md"
    two_sections(doc)
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(
        docs=[str(doc)], output=str(out), mode="llm", min_chunk_tokens=5,
        endpoint="http://127.0.0.1:9",  # nothing listens: a rerun that asked would fail
    )  # fmt: skip
    stats = generate_dataset(config, StatementLLM(), progress=False)
    assert stats.pairs == 0 and stats.dropped == {"not a question": 2} and not out.exists()

    llm = StatementLLM()
    stats = generate_dataset(config, llm, progress=False)
    assert (llm.asked, stats.asked_before, stats.done_before) == ([], 2, 2)

    command = ["data", "generate", str(doc), "-o", str(out), "--mode", "llm"]
    result = CliRunner().invoke(
        app, [*command, "--endpoint", config.endpoint, "--set", "min_chunk_tokens=5"]
    )
    assert result.exit_code == 0, result.output
    assert "nothingnew:all2chunksweredonebyanearlierrun,whichkeptnopair" in said(result.output)
    assert "didnotaskagainabout2chunksanearlierrunaskedaboutandkeptnopairof" in said(result.output)

    llm = StatementLLM()  # asked for more pairs, the model may answer otherwise: asked again
    stats = generate_dataset(config.model_copy(update={"pairs_per_chunk": 5}), llm, progress=False)
    assert len(llm.asked) == 2 and stats.asked_before == 0
    # A changed prompt or filter, the user's fix for chunks that kept nothing: asked again too.
    for change in ({"prompt": "Ask {n} questions.\nText:\n{chunk}"}, {"min_grounding": 0.0}):
        llm = StatementLLM()
        stats = generate_dataset(config.model_copy(update=change), llm, progress=False)
        assert len(llm.asked) == 2 and stats.asked_before == 0, change


def test_a_chunk_asked_about_before_is_asked_again_once_its_text_changed(tmp_path):
    doc = tmp_path / "a.md"
    two_sections(doc)
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="llm", min_chunk_tokens=5)
    generate_dataset(config, StatementLLM(), progress=False)

    original = doc.read_text()
    doc.write_text(original.replace("Pears ripen", "Pears soften"))
    llm = FirstSentenceLLM()
    stats = generate_dataset(config, llm, progress=False)
    assert llm.asked == ["Pears soften after they are picked from the tree."]
    assert (stats.asked_before, stats.pairs) == (1, 1)

    doc.write_text(original)  # the old text is back: its pair was dropped, it is asked again
    llm = FirstSentenceLLM()
    stats = generate_dataset(config, llm, progress=False)
    assert llm.asked == ["Pears ripen after they are picked from the tree."]
    assert (stats.stale, stats.asked_before, stats.pairs) == (1, 1, 1)
    assert [r["answer"] for r in rows(out)] == ["Pears ripen after they are picked from the tree."]


def test_a_rerun_parses_the_earlier_output_once(tmp_path, monkeypatch):
    # Resuming read the whole earlier output up to 4 times (its rows, the stale check, the rows
    # the text covers, again after dropping none); a large file paid each time.
    from tunelab.data.generate import shared

    (tmp_path / "docs").mkdir()
    doc = tmp_path / "docs" / "a.md"
    doc.write_text("# Apples\n\nApples grow on trees in orchards. They are picked in autumn.\n")
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="llm", min_chunk_tokens=5)
    generate_dataset(config, FirstSentenceLLM(), progress=False)
    parsed = []
    read = shared.read_jsonl
    monkeypatch.setattr(
        shared, "read_jsonl", lambda path, **kw: parsed.append(path) or read(path, **kw)
    )
    stats = generate_dataset(config, FirstSentenceLLM(), progress=False)
    assert parsed == [out] and stats.done_before == 1


def test_a_chunk_whose_replies_never_parsed_is_asked_again_on_a_rerun(tmp_path):
    # Not recorded as asked (OUTPUT.asked.jsonl): a remote model's bad reply may be a passing one.
    class Garbled(FirstSentenceLLM):
        def complete(self, conversations, temperature, schema=None):
            super().complete(conversations, temperature, schema)
            return ["not JSON"] * len(conversations)

    (tmp_path / "docs").mkdir()
    doc = tmp_path / "docs" / "a.md"
    doc.write_text("# Apples\n\nApples grow on trees in orchards. They are picked in autumn.\n")
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="llm", min_chunk_tokens=5)
    stats = generate_dataset(config, Garbled(), progress=False)
    assert (stats.malformed, stats.pairs) == (1, 0)
    llm = FirstSentenceLLM()
    stats = generate_dataset(config, llm, progress=False)
    assert len(llm.asked) == 1 and (stats.malformed, stats.pairs, stats.asked_before) == (0, 1, 0)


def test_template_mode_names_the_documents_whose_chunks_gave_no_pair(tmp_path):
    # Two sections of quotas.md made no pair and the summary said "100% grounded", naming none.
    (tmp_path / "quotas.md").write_text(
        "# Quotas\n\n## Connections\n\nEach broker node accepts up to 5,000 connections.\n"
    )
    # "How do I install Harborline?" (under "# Guide" it asked "How do I install Guide?")
    (tmp_path / "guide.md").write_text(
        "# Harborline\n\n## Install\n\nRun pip install harborline.\n"
    )
    out = tmp_path / "qa.jsonl"
    docs = [str(tmp_path / "quotas.md"), str(tmp_path / "guide.md")]
    result = CliRunner().invoke(app, ["data", "generate", *docs, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1chunkgavenopair" in said(result.output) and "quotas.mdx1" in said(result.output)
    assert "guide.md" not in said(result.output).split("gavenopair")[1]


def test_a_sentence_introducing_code_is_asked_with_its_code_or_named_as_in_no_answer(tmp_path):
    # "Each `[[source]]` block names a file to follow:" and its toml were in no pair, and the
    # report named only the file ("1 chunks gave no pair").
    doc = tmp_path / "sources.md"
    toml = '```toml\n[[source]]\npath = "/var/log/app.log"\n```'
    doc.write_text(
        f"# Ferrylog\n\n## Sources\n\nEach `[[source]]` block names a file to follow:\n\n{toml}\n"
    )
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    [row] = rows(out)
    assert row["question"] == "What does a `[[source]]` block look like?"
    assert row["answer"] == f"Each `[[source]]` block names a file to follow:\n\n{toml}"
    # One no rule reads is named, as a sentence stating a number is.
    doc.write_text(f"# Ferrylog\n\n## Sources\n\nHere is how sources go:\n\n{toml}\n")
    out = tmp_path / "again.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert "1sentencestatinganumberorintroducingcodeisinnoanswer" in said(result.output)
    assert "sources.md:Hereishowsourcesgo:" in said(result.output)


def test_a_sentence_naming_a_model_states_no_number_to_list(tmp_path):
    # "Never cover the Ember H2." was listed among the sentences stating a number in no answer.
    doc = tmp_path / "ember.md"
    doc.write_text(
        "# Ember H2 Heater\n\nThe Ember H2 is a small heater.\n\n## Safety\n\n"
        "Never cover the Ember H2. Keep the heater at least 1 metre from curtains.\n",
        encoding="utf-8",
    )
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "innoanswer" not in said(result.output)


def test_a_stop_midway_keeps_the_sentences_of_the_documents_done(tmp_path, monkeypatch):
    # The file was written after the last chunk: a Ctrl-C midway lost the lines of the chunks
    # done, which a rerun skips and so never found again.
    import tunelab.data.generate.from_documents as from_documents

    monkeypatch.chdir(tmp_path)
    Path("docs").mkdir()
    Path("docs/a.md").write_text("# A\n\nBetween 0 and 2 workers share the queue.\n")
    Path("docs/b.md").write_text("# B\n\nBetween 3 and 5 workers share the log.\n")
    asked = from_documents.template_pairs

    def stop_at_b(chunk, *args):
        if chunk.source.endswith("b.md"):
            raise KeyboardInterrupt
        return asked(chunk, *args)

    monkeypatch.setattr(from_documents, "template_pairs", stop_at_b)
    CliRunner().invoke(app, ["data", "generate", "docs", "-o", "qa.jsonl"])
    listed = rows(tmp_path / "qa.jsonl.unasked.jsonl")
    assert [r["sentence"] for r in listed] == ["Between 0 and 2 workers share the queue."]
