"""`tunelab data generate --mode template`: documents in, deterministic Q&A rows out, no model."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.chunking import chunk_document, count_tokens
from tunelab.data.generate.documents import generate_dataset
from tunelab.data.generate.headings import heading_question
from tunelab.data.generate.llm import parse_pairs
from tunelab.data.generate.shared import GenerateConfig
from tunelab.data.generate.template_qa import template_pairs
from tunelab.data.sections import find_documents, read_sections
from tunelab.errors import TunelabError

DOCS = Path(__file__).parent / "fixtures" / "docs"


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_documents_are_found_recursively_and_read_under_their_headings():
    names = [p.relative_to(DOCS).as_posix() for p in find_documents([DOCS])]
    assert names == ["faq.html", "guide.md", "notes.txt", "reference/export.pdf"]

    guide = read_sections(DOCS / "guide.md")
    assert [s.headings[-1] for s in guide] == [
        "Tunelab guide",
        "Installation",
        "Configuring a run",
        "How to resume a stopped run",
        "Command line",
        "Loss is NaN",
    ]  # the `#` comment inside the code block is not a heading
    assert guide[-1].headings == ["Tunelab guide", "Troubleshooting", "Loss is NaN"]

    faq = read_sections(DOCS / "faq.html")
    text = "\n".join(s.text for s in faq)
    assert "var x" not in text and "Home" not in text and "color" not in text  # script, nav, style
    assert "Adapter: A small set of extra weights" in text  # <dl> became `term: definition`

    assert [s.headings[-1] for s in read_sections(DOCS / "notes.txt")] == [
        "Serving a model",
        "Checkpoints",
    ]
    (pdf,) = read_sections(DOCS / "reference" / "export.pdf")
    assert pdf.headings[-1] == "Merging adapters" and "merges a LoRA adapter" in pdf.text


def test_chunks_stay_within_the_token_budget_and_code_keeps_its_lines():
    chunks = chunk_document(DOCS / "guide.md", max_tokens=40)
    assert all(count_tokens(c.text) <= 40 for c in chunks)
    cli = [c for c in chunks if c.headings[-1] == "Command line"]
    assert len(cli) > 1 and [c.part for c in cli] == list(range(len(cli)))
    assert "  --test TEXT          Test set" in "\n".join(c.text for c in cli)
    assert len({c.hash for c in chunks}) == len(chunks)


@pytest.mark.parametrize(
    ("headings", "question"),
    [
        (["Guide", "Installing the CLI"], "How do I install the CLI?"),
        (["Guide", "Configuring a run"], "How do I configure a run?"),
        (["Guide", "How to resume a stopped run"], "How do I resume a stopped run?"),
        (["Acme guide", "Installation"], "How do I install Acme?"),
        (["Guide", "Loss is NaN"], "What should I do when loss is NaN?"),
        (["Guide", "LoRA"], "What is LoRA?"),
        (["Guide", "Checkpoints"], "What are checkpoints?"),
        (["Guide", "Which models can I use?"], "Which models can I use?"),
        # A heading that reads as a reported question is asked in a question's order
        (["Guide", "How facts are measured"], "How are facts measured?"),
        (["Guide", "Where a decoding step goes"], "Where does a decoding step go?"),
        (["tunelab", "How it works"], "How does tunelab work?"),
        (["Guide", "How the agent picks a server"], "How does the agent pick a server?"),
        (["Guide", "What limits the speed"], "What limits the speed?"),
        # ... but not where the question word heads its own phrase or a clause follows it
        (["Guide", "Which model is best"], "Which model is best?"),
        (["Guide", "How much memory is needed"], "How much memory is needed?"),
        (["Guide", "How long a run takes"], "How long a run takes?"),
        (["Guide", "What happens when loss is NaN"], "What happens when loss is NaN?"),
        (["Guide", "What happens when a run fails"], "What happens when a run fails?"),
        (["Guide", "What the agent is"], "What is the agent?"),
        (["Guide", "Glossary"], None),
        (["Guide", "Frequently Asked Questions"], None),  # its entries are the questions
        (["tunelab", "The two commands"], "What are the two commands?"),
        (["tunelab", "Using it"], "How do I use tunelab?"),
        # "it" is the title only where the title is a name: not "What limits a small model facts?"
        (["Teaching a small model facts: what we measured", "What limits it"], None),
        (["The course data set, end to end", "Chat with it"], None),
        (["Acme Sync Agent", "Using it"], "How do I use Acme Sync Agent?"),  # Title Case: a name
        (["tunelab", "Human evaluation: `tunelab rate`"], "What does `tunelab rate` do?"),
        (["tunelab", "Did it learn the facts? `tunelab eval`"], "Did it learn the facts?"),
        # A question after a label is asked only if it is a sentence; else the label is asked
        (
            ["tunelab", "Serving: `tunelab serve`, or the export?"],
            "How does serving work in tunelab?",
        ),
        (["tunelab", "Resuming: can a stopped run go on?"], "Can a stopped run go on?"),
        (["tunelab", "Log-probabilities from serve"], "What are log-probabilities from serve?"),
        (["tunelab", "Experiment trackers: `train.report_to`"], "What does `train.report_to` do?"),
        # Only a lone command after a colon is asked what it does: not "What does `tunelab plan`
        # against measured peaks — `plan_check.py` do?"
        (["Guide", "Memory: `tunelab plan` against peaks — `plan.py`"], "What is memory?"),
        (["Guide", "Measured"], None),
        # A step's number and an aside in brackets are no part of the question: not
        # "What is 3. Split off a test set (5 s)?"
        (["Guide", "2. Check the data (6 s)"], "How do I check the data?"),
        (["Guide", "3. Split off a test set (5 s)"], "How do I split off a test set?"),
        (["Guide", "The demo data set (until 2026-12-03)"], "What is the demo data set?"),
        (["Guide", "2. Background"], "What is background?"),
        # A heading that states something asks nothing: not "What is imports run one way?"
        (["Guide", "Imports run one way"], None),
        # A lone verb names a task with no object to ask about: not "What is reproduce?"
        (["Guide", "Reproduce"], None),
        (["Guide", "Verify"], None),
        # A title's word for what the document covers is no part of the product's name: not
        # "What does Ferrylog Installation require?"
        (["Ferrylog Installation Guide", "Requirements"], "What does Ferrylog require?"),
        (["Ferrylog Installation Guide", "Upgrade"], "How do I upgrade Ferrylog?"),
        (["Ferrylog Configuration", "Usage"], "How do I use Ferrylog?"),
        (["Ferrylog CLI reference", "Usage"], "How do I use Ferrylog CLI?"),  # the CLI is a thing
        # A heading's emoji is decoration: not "What is retention 🚀?"
        (["Ferrylog", "Retention 🚀"], "What is retention?"),
        (["✨ Ferrylog ✨", "🛠️ Installation"], "How do I install Ferrylog?"),
        # A lone verb with no noun above it to act on: not "How do I export?"
        (["Guide", "Export"], None),
        (["tunelab", "Quick tour", "Build"], None),
        (["tunelab", "Install"], "How do I install tunelab?"),
        (["tunelab", "Configure"], "How do I configure tunelab?"),
        # A step's verb that is not a command's: not "What is look at what will be trained?"
        (["Guide", "1. Look at what will be trained"], "How do I look at what will be trained?"),
        # "it" after a verb is the product the task is done with: not "What is chat with tunelab?"
        (["tunelab", "Chat with it"], "How do I chat with tunelab?"),
        (["tunelab", "3. Chat with it"], "How do I chat with tunelab?"),
        (["Acme Sync Agent", "Keep it running"], "How do I keep Acme Sync Agent running?"),
        (["Guide", "Models"], "What are models?"),
        # A manual's plain nouns ask about its product: not "What are ports?"
        (["Ferrylog", "Ports"], "What ports does Ferrylog use?"),
        (["Ferrylog", "Limits"], "What are the limits of Ferrylog?"),
        (["Ferrylog", "Environment variables"], "What environment variables does Ferrylog read?"),
        (["Guide", "The backups expire after a week"], None),
        (["Guide", "Uploads fail with HB-408"], "What should I do when uploads fail with HB-408?"),
        # A problem said as a sentence: not "What should I do about logs arrive late?"
        (["Troubleshooting", "Logs arrive late"], "What should I do when logs arrive late?"),
        (["Troubleshooting", "Requests time out"], "What should I do when requests time out?"),
        (["Troubleshooting", "Slow uploads"], "What should I do about slow uploads?"),
        (["Troubleshooting", "Logs from the agent"], "What should I do about logs from the agent?"),
        (["Title A"], "What is title A?"),  # not "How do I title A?": "A" names, not determines
        (["Manual", "Appendix A"], "What is appendix A?"),
        (["Manual", "Select All"], "How do I select all?"),  # "all" stands alone
        (["Manual", "Restoring Files"], "How do I restore files?"),
        (["Manual", "Configuring Log Rotation"], "How do I configure log rotation?"),
        # A Title Case heading is asked in one case: not "What is log Rotation?"
        (["Manual", "Log Rotation"], "What is log rotation?"),
        (["Manual", "GPU Memory"], "What is GPU memory?"),
        (["Manual", "Windows Support"], "What is Windows support?"),
        (["Manual", "Quality of Service"], "What is quality of service?"),
        (["Manual", "Ferrytrack Agent"], "What is Ferrytrack Agent?"),  # not a word: a name
        # A verb before a noun, no determiner: a thing ("How do I rate limits?" was asked)
        (["API", "Rate Limits"], "What are rate limits?"),
        (["API", "Install Packages"], "How do I install packages?"),
        (["API", "Rate the answers"], "How do I rate the answers?"),
        # A kind of the act, not its object: nobody exports a format ("How do I export formats?")
        (["Manual", "Export Formats"], "What are export formats?"),
        (["Manual", "Run Modes"], "What are run modes?"),
        (["Manual", "Install Options"], "What are install options?"),
        (["Manual", "Export the formats"], "How do I export the formats?"),
        (["Manual", "Set Options"], "How do I set options?"),
        # The head noun comes before any preposition: not "What is measurements over time?"
        (["Guide", "Measurements over time"], "What are measurements over time?"),
        (["Guide", "Results per model"], "What are results per model?"),
        (
            ["Guide", "Throughput figures until 2026-12-04"],
            "What are throughput figures until 2026-12-04?",
        ),
        (["Guide", "Changes since 4.0"], "What are changes since 4.0?"),
        # The head noun comes before a clause that says what is done to it, and code stays code:
        # not "What are the recipe tunelab demo uses?"
        (["Guide", "The recipe `tunelab demo` uses"], "What is the recipe `tunelab demo` uses?"),
        (["Guide", "The file the agent writes"], "What is the file the agent writes?"),
        (["Guide", "Rules the engine follows"], "What are rules the engine follows?"),
    ],
)
def test_headings_become_the_questions_a_reader_would_ask(headings, question):
    assert heading_question(headings) == question


def test_a_name_and_what_it_is_after_a_comma_is_asked_of_the_name():
    # FastAPI's README: "**Typer**, the FastAPI of CLIs" asked "How do I typer, the FastAPI of
    # CLIs?", the name read as a verb before its object.
    context = "**Typer** is FastAPI's little sibling."
    assert heading_question(["FastAPI", "**Typer**, the FastAPI of CLIs"], context) == (
        "What is Typer?"
    )


def test_a_heading_its_section_names_after_an_article_is_a_thing_not_a_task():
    context = "The load balancer spreads requests over the replicas."
    assert heading_question(["Manual", "Load Balancer"], context) == "What is load balancer?"
    assert heading_question(["Manual", "Load Data"], "Call load on it.") == "How do I load data?"


def test_a_word_of_the_product_name_its_section_writes_in_lower_case_is_lower_case():
    context = "The first sync uploads every file in the watched folders."
    heading = ["Harborline Sync Agent", "First Sync"]  # not "What is first Sync?"
    assert heading_question(heading, context) == "What is first sync?"
    named = ["Harborline Sync Agent", "Use Harborline Sync Agent"]  # not "How do I Use ...?"
    assert heading_question(named, context) == "How do I use Harborline Sync Agent?"
    named = ["Acme Sync Agent", "Use Acme Sync Agent"]  # the whole name: not "Acme sync Agent"
    assert heading_question(named, context) == "How do I use Acme Sync Agent?"
    assert (
        heading_question(["Widget", "Widget Setup"], "Edit widget.yaml.") == "What is Widget setup?"
    )


def test_a_title_case_heading_its_section_names_mid_sentence_is_asked_as_written():
    context = "Start the Backup Tool from the menu; it copies the data folder nightly."
    assert heading_question(["Manual", "Backup Tool"], context) == "What is Backup Tool?"
    assert heading_question(["Manual", "Backup Tool"], "It copies data.") == "What is backup tool?"


@pytest.mark.parametrize(
    "named",
    ["[Backup Tool](https://example.com/backup-tool)", "**Backup Tool**", "_Backup Tool_"],
)
def test_a_title_case_heading_in_a_link_or_bold_or_italics_mid_sentence_is_asked_as_written(named):
    # A one-word heading kept "[Click](...)" as a name's capital; a Title Case one lost it.
    context = f"Start the {named} from the menu; it copies the data folder nightly."
    assert heading_question(["Manual", "Backup Tool"], context) == "What is Backup Tool?"


def test_a_one_word_name_in_italics_mid_sentence_keeps_its_capital():
    # "[Click](...)" and "**Click**" kept it; "_Click_" did not ("_" reads as a word's letter).
    italics = "Typer used to depend on _Click_ as well."
    assert heading_question(["Typer", "Dependencies", "Click code"], italics) == (
        "What is Click code?"
    )


def test_template_pairs_come_from_headings_definitions_and_cli_help():
    pairs = {q: a for c in chunk_document(DOCS / "guide.md") for q, a in template_pairs(c)}
    assert pairs["How do I resume a stopped run?"].startswith("Run the same command again")
    assert pairs["What is max_length?"].startswith("max_length: the longest example")
    assert pairs["What is learning rate?"] == (
        "Learning rate: How far each optimizer step moves the weights; 2e-4 suits LoRA."
    )
    assert pairs["What does the --output option of tunelab data check do?"] == (
        "`-o, --output PATH`: Where the cleaned JSONL is written."
    )
    assert pairs["How do I call tunelab data check?"] == "Usage: tunelab data check [OPTIONS] PATH"
    assert "What is note?" not in pairs and not any("--help" in q for q in pairs)


def test_template_generation_is_deterministic_resumable_and_records_provenance(tmp_path):
    config = GenerateConfig(docs=[str(DOCS)], output=str(tmp_path / "qa.jsonl"))
    first = generate_dataset(config, progress=False)
    assert first.pairs > 15 and first.done_before == 0
    written = rows(tmp_path / "qa.jsonl")
    meta = written[0]["meta"]
    assert meta["mode"] == "template" and meta["generator"] == "rules"
    assert meta["source"].endswith("faq.html") and len(meta["chunk_hash"]) == 16

    again = generate_dataset(config, progress=False)  # a rerun skips every chunk already done
    assert (again.pairs, again.done_before) == (0, first.chunks)
    assert rows(tmp_path / "qa.jsonl") == written

    config.output = str(tmp_path / "qa2.jsonl")
    generate_dataset(config, progress=False)
    assert rows(tmp_path / "qa2.jsonl") == written  # same documents, same rows


def test_cli_generate_then_check_reports_the_rows_as_generated(tmp_path):
    runner = CliRunner()
    out = tmp_path / "qa.jsonl"
    result = runner.invoke(app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    # 14: "Is Python 3.11 or newer required?" ("How is ... required?" restated its answer)
    assert "wrote 14 pairs" in result.output and len(rows(out)) == 14
    # One pair a fact taught a 135M model 8% of the facts in 3 epochs (docs_to_facts.py).
    said = " ".join(result.output.split())
    assert "each fact is asked once" in said and "--mode rules" in said
    result = runner.invoke(app, ["data", "check", str(out), "--model", "tiny-random"])
    assert result.exit_code == 0, result.output
    assert "generated:template" in result.output
    # The command it suggests runs as pasted: a name with a space is quoted.
    spaced = tmp_path / "gen out.jsonl"
    result = runner.invoke(app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(spaced)])
    assert f"tunelab data augment '{spaced}' --mode rules" in " ".join(result.output.split())


def test_a_rerun_with_nothing_left_to_do_says_so(tmp_path):
    # A rerun said "wrote 0 pairs to qa.jsonl in 0.0 s (0.0 pairs/min); 6 chunks done before".
    out = tmp_path / "qa.jsonl"
    generate = ["data", "generate", str(DOCS / "guide.md"), "-o", str(out)]
    assert CliRunner().invoke(app, generate).exit_code == 0
    again = CliRunner().invoke(app, generate)
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert said.startswith("nothing new: all 6 chunks were done by an earlier run, whose pairs")
    assert "wrote" not in said and "pairs/min" not in said


def test_a_file_of_another_kind_is_told_the_kinds_that_are_read_in_plain_words(tmp_path):
    # "use ['.htm', '.html', ...]": the message showed a Python list.
    (tmp_path / "table.csv").write_text("a,b\n")
    with pytest.raises(TunelabError) as raised:
        find_documents([tmp_path / "table.csv"])
    assert str(raised.value).endswith(
        "table.csv: cannot read '.csv' files; use .htm, .html, .markdown, .md, .pdf, .rst or .txt"
    )


def test_unreadable_inputs_are_user_errors(tmp_path):
    (tmp_path / "data.bin").write_bytes(b"\x00\x01")
    with pytest.raises(TunelabError, match="cannot read '.bin' files"):
        find_documents([tmp_path / "data.bin"])
    with pytest.raises(TunelabError, match="document not found"):
        find_documents([tmp_path / "missing.md"])
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    with pytest.raises(TunelabError, match="bad.pdf: cannot read this PDF"):
        read_sections(tmp_path / "bad.pdf")


def test_a_broken_pdf_is_said_once_without_the_pdf_library_s_own_warnings(tmp_path, caplog):
    # "invalid pdf header: b'...'" and "EOF marker not found" were printed above the error.
    (tmp_path / "bad.pdf").write_bytes(b"\x08\x0c\xec\xc4 not a pdf")
    with pytest.raises(TunelabError, match="bad.pdf: cannot read this PDF"):
        read_sections(tmp_path / "bad.pdf")
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("pypdf")]


@pytest.mark.parametrize(
    "reply",
    [
        '[{"question": "Q?", "answer": "A."}]',
        'Sure! Here they are:\n```json\n{"pairs": [{"Question": "Q?", "Answer": "A."}]}\n```',
        '{"instruction": "Q?", "output": "A."}\n',
        "Q1: Q?\nA1: A.",
        '[{"question": "Q?", "answer": "A."}, {"question": "cut off',
    ],
)
def test_llm_replies_are_parsed_however_loosely_they_follow_json(reply):
    assert parse_pairs(reply) == [("Q?", "A.")]


@pytest.mark.parametrize(
    "reply", ["", "I cannot help with that.", '[{"question": "", "answer": ""}]']
)
def test_replies_without_pairs_are_malformed(reply):
    assert parse_pairs(reply) is None


def test_limit_spreads_a_quick_trial_over_the_documents(tmp_path):
    config = GenerateConfig(docs=[str(DOCS)], output=str(tmp_path / "qa.jsonl"), limit=3)
    stats = generate_dataset(config, progress=False)
    sources = {Path(r["meta"]["source"]).name for r in rows(tmp_path / "qa.jsonl")}
    assert stats.chunks == 3 and len(sources) >= 2


def test_one_unreadable_document_does_not_cost_the_others_their_rows(tmp_path):
    (tmp_path / "guide.md").write_text((DOCS / "guide.md").read_text())
    (tmp_path / "broken.txt").write_bytes(b"\xff\xfe not utf-8 \x80")
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # the console wraps long paths
    assert "skippedadocument" in said and "broken.txt:notUTF-8" in said
    assert rows(out) and {Path(r["meta"]["source"]).name for r in rows(out)} == {"guide.md"}
    (tmp_path / "guide.md").unlink()
    with pytest.raises(TunelabError, match="broken.txt: not UTF-8"):  # nothing readable: an error
        generate_dataset(GenerateConfig(docs=[str(tmp_path)], output=str(out)), progress=False)


def test_template_mode_says_the_model_settings_it_was_given_go_unused(tmp_path):
    # `--model foo --pairs 1` in template mode wrote every pair, no model asked, without a word.
    out = tmp_path / "qa.jsonl"
    given = ["--model", "foo", "--max-new-tokens", "64", "--pairs", "1", "--temperature", "0.5"]
    result = CliRunner().invoke(
        app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(out), *given]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    # The options typed, not the config's fields behind them ("pairs_per_chunk" for --pairs).
    unused = "--model, --max-new-tokens, --pairs, --temperature unused"
    assert f"template mode asks no model: {unused}" in said
    by_set = CliRunner().invoke(
        app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(out), "--set", "timeout=5"]
    )
    assert "template mode asks no model: --set timeout unused" in " ".join(by_set.output.split())
    # The Python API names its fields.
    config = GenerateConfig(docs=[str(DOCS / "guide.md")], output=str(out), pairs_per_chunk=1)
    assert generate_dataset(config, progress=False).unused == ["pairs_per_chunk"]
    plain = CliRunner().invoke(app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(out)])
    assert "asks no model" not in plain.output


def test_an_empty_document_is_named_not_silently_left_out(tmp_path):
    # An empty file gave "no pairs: qa.jsonl not written" and no word of why.
    (tmp_path / "guide.md").write_text((DOCS / "guide.md").read_text())
    (tmp_path / "empty.md").write_text("\n  \n")
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # the console wraps long paths
    assert "skippedadocument" in said and "empty.md:notext" in said
    (tmp_path / "guide.md").unlink()
    with pytest.raises(TunelabError, match="empty.md: no text"):  # nothing to read: an error
        generate_dataset(GenerateConfig(docs=[str(tmp_path)], output=str(out)), progress=False)


def test_setext_headings_record_their_own_line_and_long_words_keep_the_budget():
    from tunelab.data.chunking import split_text
    from tunelab.data.sections import markdown_sections

    [section] = markdown_sections("Intro\n=====\n\nBody text.\n")
    assert (section.headings, section.line) == (["Intro"], 1)
    # A word of many tokens (a URL, a dotted name) must not pull others over the budget with it.
    pieces = split_text("k.l.m.n.o.p.q.r.s.t a b c d e f g h i j", 10)
    assert all(count_tokens(p) <= 19 for p in pieces) and count_tokens(pieces[-1]) <= 10
    assert " ".join(pieces).split() == "k.l.m.n.o.p.q.r.s.t a b c d e f g h i j".split()


def test_an_rst_title_between_two_rules_is_the_document_s_heading():
    from tunelab.data.sections import markdown_sections

    # numpy.ma's README.rst: its title and both "=====" lines were the first section's text, and
    # "What is ma?" was answered "================ A guide to masked arrays in NumPy ====...".
    text = (
        "=================\nA guide to arrays\n=================\n\nSee the wiki.\n\n"
        "History\n-------\n\nIt began in 2006.\n"
    )
    first, second = markdown_sections(text, title="ma")
    assert (first.headings, first.text, first.line) == (["A guide to arrays"], "See the wiki.", 2)
    assert second.headings == ["A guide to arrays", "History"]


def test_a_table_over_the_budget_is_cut_at_its_rows_each_piece_under_its_header():
    from tunelab.data.chunking import split_text

    # MLflow's failure index: a 10-row table over the budget was cut as prose, its lines run
    # into one, and its rows gave no pair; a second piece had no header to read its rows by.
    header = "| Symptom | Fix |\n| --- | --- |"
    rows = [
        f"| Error {i} happens | Restart the agent number {i} and check its logs. |"
        for i in range(40)
    ]
    pieces = split_text("\n".join([header, *rows]), 120)
    assert len(pieces) > 1
    for piece in pieces:
        assert piece.startswith(header + "\n") and count_tokens(piece) <= 120
    kept = [line for piece in pieces for line in piece.splitlines()[2:]]
    assert kept == rows


def test_a_chunk_whose_rows_a_crash_cut_is_not_counted_done(tmp_path):
    from tunelab.data.generate.shared import Output

    path = tmp_path / "qa.jsonl"
    rows = [
        {"question": f"q{i}", "answer": "a", "meta": {"mode": "llm", "chunk_hash": chunk}}
        for i, chunk in enumerate(["c1", "c2", "c2"])
    ]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    path.write_text(text[: -len(json.dumps(rows[2])) // 2])  # c2's second pair cut mid-row
    out = Output(path, "llm")
    assert out.dropped_cut_row and out.done == {"c1"}
    assert path.read_text() == json.dumps(rows[0]) + "\n"


def test_a_crash_between_two_pairs_of_a_chunk_leaves_the_chunk_to_be_made_again(tmp_path):
    import tunelab.data.generate.shared as shared

    whole = tmp_path / "whole.jsonl"
    generate_dataset(GenerateConfig(docs=[str(DOCS)], output=str(whole)), progress=False)
    by_chunk = Counter(r["meta"]["chunk_hash"] for r in rows(whole))
    assert max(by_chunk.values()) > 1  # a chunk of several pairs, the case at stake

    # Crash on the second kept pair of the first chunk that has several (a Ctrl-C, a full disk).
    several = next(h for h in by_chunk if by_chunk[h] > 1)
    kept, real_add = [], shared.Output.add

    def add_then_crash(self, question, answer, meta):
        kept.append(meta["chunk_hash"])
        if kept.count(several) == 2:
            raise KeyboardInterrupt
        real_add(self, question, answer, meta)

    path = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(DOCS)], output=str(path))
    with mock.patch.object(shared.Output, "add", add_then_crash), pytest.raises(KeyboardInterrupt):
        generate_dataset(config, progress=False)
    assert several not in {r["meta"]["chunk_hash"] for r in rows(path)}  # none of it, not half

    generate_dataset(config, progress=False)  # the rerun asks that chunk again, whole
    assert sorted(map(json.dumps, rows(path))) == sorted(map(json.dumps, rows(whole)))


def test_a_code_fence_closes_only_at_a_fence_like_its_own():
    from tunelab.data.sections import fenced_parts, markdown_sections

    # As in CommonMark: a longer fence can show a shorter one, ~~~ does not close ```, and an
    # unclosed fence runs to the end. Code's `#` lines are never headings.
    doc = (
        "# Writing docs\n\nShow a fence inside a longer one.\n\n"
        "````markdown\n```bash\n# not a heading\n```\n~~~\n````\n\n"
        "## Next\n\nText.\n\n```python\nunclosed = True\n\n# still code\n"
    )
    assert [s.headings for s in markdown_sections(doc)] == [
        ["Writing docs"],
        ["Writing docs", "Next"],
    ]
    parts = fenced_parts(doc)
    assert "".join(part for _, part in parts) == doc
    assert [code for code, _ in parts] == [False, True, False, True]
    assert parts[1][1].startswith("````markdown\n") and parts[1][1].endswith("~~~\n````\n")
    # A fence closes with nothing after it, and a line of backticks that closes itself is
    # inline code, not a fence.
    assert [code for code, _ in fenced_parts("```bash\nx\n```bash\n```\nAfter.\n")] == [True, False]
    assert fenced_parts("```pip install x```\n# Install\n") == [
        (False, "```pip install x```\n# Install\n")
    ]


def test_front_matter_and_html_comments_are_not_read_and_lines_keep_their_numbers(tmp_path):
    # "--- title: Sync Service version: 4.1 ---" and "<!-- internal note: do not publish -->"
    # became answers, and a RAG passage.
    doc = tmp_path / "sync.md"
    doc.write_text(
        "---\ntitle: Sync Service\nversion: 4.1\n---\n\n# Sync Service\n\n"
        "<!-- internal note:\ndo not publish -->\n\nThe Sync Service uses port 7070 by default.\n"
    )
    text = " ".join(s.text for s in read_sections(doc))
    assert "7070" in text and "internal note" not in text and "title:" not in text
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = out.read_text()
    assert "internal note" not in written and "version: 4.1" not in written
    assert "sync.md:11" in written  # the line of "The Sync Service uses port 7070"


def test_a_heading_that_is_a_command_asks_what_it_does():
    # "## `ferrylog check`" over "Checks that ..." asked "What is `ferrylog check`?".
    checks = "Checks that the agent can reach the collector."
    assert heading_question(["Ferrylog", "`ferrylog check`"], checks) == (
        "What does `ferrylog check` do?"
    )
    prints = "Prints the lines the agent ships."
    assert heading_question(["Ferrylog", "`tail`"], prints) == "What does `tail` do?"
    read = "The file the agent reads when it starts."
    assert heading_question(["Ferrylog", "`agent.toml`"], read) == "What is `agent.toml`?"


def test_an_output_that_is_one_of_the_documents_is_refused_before_it_is_touched(tmp_path):
    # `-o docs/guide.md` said "docs/guide.md:1: not valid JSON ...; fix or remove the line to
    # resume": advice to cut lines out of the user's own document.
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\nThe agent reads `agent.toml` at startup.\n")
    config = GenerateConfig(docs=[str(tmp_path)], output=str(guide), mode="template")
    with pytest.raises(TunelabError, match="guide.md is one of the documents being read"):
        generate_dataset(config, progress=False)
    assert guide.read_text() == "# Guide\n\nThe agent reads `agent.toml` at startup.\n"
