"""Template mode's pairs on whole documents read well: one per fact, answered by the sentences
that answer them (code only when the question asks for a command or the sentence shows it), a
purpose and its step asked "How do I ...?". Single statements: test_data_generate_statements.py
and _yes_no.py; headings: _headings.py; tables, FAQs, steps: _structured.py; telling a subject
from its verb: _subject_verb.py."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import pairs_of
from tunelab.data.documents.chunking import chunk_document
from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig
from tunelab.data.generate.template.questions import sentence_question
from tunelab.data.generate.template.sentence_end import full_stop
from tunelab.data.generate.template.template_qa import template_pairs

DOCS = Path(__file__).parent / "fixtures" / "docs"
README = Path(__file__).parent.parent / "README.md"
# The README's front page and its docs pages, as `data generate README.md docs/` reads them
# (measurements.md, the earlier figures, aside).
GUIDE = [README, *sorted(README.parent.glob("docs/*.md"))]
GUIDE.remove(README.parent / "docs" / "measurements.md")


def test_answers_are_the_sentences_that_answer_and_code_comes_only_with_commands():
    pairs = pairs_of(DOCS / "guide.md")
    # The section's lead (two sentences, the first being short), not the whole section.
    assert pairs["How do I resume a stopped run?"] == (
        "Run the same command again with `--resume`. Tunelab reads the last checkpoint in "
        "`runs/<name>/checkpoints/` and continues from the step it reached, with the same data order."
    )
    assert (
        "```" in pairs["How do I install Tunelab?"]
        and "pip install tunelab" in pairs["How do I install Tunelab?"]
    )
    assert "```" not in pairs["What should I do when loss is NaN?"]
    assert pairs["What should I do when loss is NaN?"].startswith("The learning rate is too high")


def test_one_pair_per_fact_not_one_per_section():
    pairs = pairs_of(DOCS / "guide.md")
    configuring = [q for q in pairs if pairs[q].split(":")[0] in ("max_length", "packing")]
    assert sorted(configuring) == ["What is max_length?", "What is packing?"]
    assert pairs["What is learning rate?"].startswith("Learning rate: How far each")
    assert all(len(a.split()) < 60 for q, a in pairs.items() if "```" not in a)


def test_on_the_readme_and_its_pages_every_question_is_a_sentence_that_asks_one_thing():
    pairs = {}
    for page in GUIDE:
        pairs = pairs_of(page) | pairs  # a question asked twice keeps its first answer
    assert len(pairs) >= 100
    for question, answer in pairs.items():
        assert question.endswith("?") and question[0].isupper(), question
        assert not question.startswith(("What is using", "What is the two", "What is them"))
        assert answer.count("\n") <= 20, question  # a code block at most, never a whole section
    assert pairs["What are the two commands?"].startswith("```bash\nmake demo")
    assert "What does `make test-fast` skip?" in pairs
    # Its sample pairs per mode (docs/generate.md) are data shown as code, no FAQ of its own:
    # "What does... 134...?", a garbled rewrite it shows, was a pair.
    generate_page = README.parent / "docs" / "generate.md"
    assert '"question": "What does... 134...?"' in generate_page.read_text(encoding="utf-8")
    assert "What does... 134...?" not in pairs


def test_it_stands_for_the_name_its_paragraph_opened_with_and_a_note_is_its_statement(tmp_path):
    doc = tmp_path / "agent.md"
    doc.write_text(
        "# Agent\n\n## About\n\nHarborline Agent is a background service that copies files "
        "from a workstation to a storage vault. It runs on Windows 10 or later.\n\nNote: The agent never uploads files larger than "
        "20 GB.\n"
    )
    pairs = pairs_of(doc)
    assert (
        pairs["Where does Harborline Agent run?"] == "Harborline Agent runs on Windows 10 or later."
    )
    assert pairs["What does the agent never upload?"] == (
        "The agent never uploads files larger than 20 GB."
    )


def test_what_a_thing_is_is_answered_by_a_definition_and_a_fact_is_asked_on_its_own(tmp_path):
    # "What is Ferrylog?" was answered "Ferrylog listens on port 7410 by default.", and the port
    # was asked about nowhere else.
    doc = tmp_path / "ferrylog.md"
    doc.write_text("# Ferrylog\n\nFerrylog listens on port 7410 by default.\n")
    assert pairs_of(doc) == {
        "Which port does Ferrylog listen on by default?": "Ferrylog listens on port 7410 by default."
    }
    doc.write_text("# Ferrylog\n\n## Accounts\n\nThe account is deleted after 30 days.\n")
    assert pairs_of(doc) == {
        "When is the account deleted?": "The account is deleted after 30 days."
    }
    # A lead that says what the thing is, or what it does, still answers what it is.
    doc.write_text("# Ferrylog\n\nFerrylog is a log shipper. It listens on port 7410.\n")
    assert pairs_of(doc)["What is Ferrylog?"].startswith("Ferrylog is a log shipper.")
    doc.write_text("# Ferrylog\n\n## Schedules\n\nA schedule limits when the agent uploads.\n")
    assert pairs_of(doc) == {"What are schedules?": "A schedule limits when the agent uploads."}
    # Leads no longer taken as the answer are asked as themselves: as they say, or not at all.
    said = "A checkpoint is written every save_every steps."
    assert sentence_question(said) == "How often is a checkpoint written?"
    assert (
        sentence_question("To set a proxy, add `proxy_url` to the file.") is None
    )  # "What did to set?"


def test_what_a_product_is_is_its_defining_sentence_and_the_next_is_asked_alone(tmp_path):
    # "What is Zephyrine?" was answered by both sentences, and what it indexes asked nowhere.
    doc = tmp_path / "zephyrine.md"
    doc.write_text(
        "# Zephyrine\n\nZephyrine is a desktop search tool. It indexes PDF and Markdown files.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What is Zephyrine?"] == "Zephyrine is a desktop search tool."
    assert pairs["What does Zephyrine index?"] == "Zephyrine indexes PDF and Markdown files."
    # A sentence no rule asks stays with the definition, so what it says is still in a row.
    doc.write_text(
        "# Zephyrine\n\nZephyrine is a desktop search tool. This makes it quick to learn.\n",
        encoding="utf-8",
    )
    assert pairs_of(doc)["What is Zephyrine?"] == (
        "Zephyrine is a desktop search tool. This makes it quick to learn."
    )
    # So under any heading: the default port was in "How do I configure Zephyrine?" alone.
    doc.write_text(
        "# Zephyrine\n\n## Configuration\n\nThe configuration file is `~/.zephyrine.toml`. "
        "The default port is 8765.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert (
        pairs["How do I configure Zephyrine?"] == "The configuration file is `~/.zephyrine.toml`."
    )
    assert pairs["What is the default port?"] == "The default port is 8765."


def test_a_sentence_saying_what_code_shows_is_asked_with_the_code(tmp_path):
    doc = tmp_path / "config.md"
    code = "```toml\nport = 7410\n```"
    doc.write_text(
        f"# Ferrylog\n\n## Files\n\nThe default configuration looks like this:\n\n{code}\n"
    )
    assert pairs_of(doc)["What does the default configuration look like?"] == (
        f"The default configuration looks like this:\n\n{code}"
    )
    # A step's code is the step's ("Run:"), asked by the task it belongs to, not as a statement.
    doc.write_text(f"# Ferrylog\n\n## Files\n\nRun this to check it:\n\n{code}\n")
    assert not any(q.startswith("What") for q in pairs_of(doc))


def test_code_a_lead_names_with_its_verb_asks_no_kind_of_thing(tmp_path):
    # tqdm's README: "What does a `total` is look like?"
    doc = tmp_path / "monitor.md"
    code = "```python\npbar.total = len(files)\n```"
    doc.write_text(
        f"# Monitor\n\n## Meter\n\nThe `total` is the number of files found:\n\n{code}\n"
    )
    assert not [q for q in pairs_of(doc) if "look like" in q]


def test_a_lead_saying_what_a_thing_can_do_asks_what_its_code_shows(tmp_path):
    doc = tmp_path / "tests.md"
    code = '```json\n{"question": "Is a GPU required?", "must": ["No"]}\n```'
    doc.write_text(
        f"# Tests\n\n## Rows\n\nA test row can say what a correct answer must state:\n\n{code}\n"
    )
    pairs = pairs_of(doc)
    assert "What can a test row do?" not in pairs
    assert pairs["What can a test row say?"] == (
        f"A test row can say what a correct answer must state:\n\n{code}"
    )


def test_a_purpose_and_its_step_is_asked_how_do_i(tmp_path):
    # "To set a proxy, add ..." has no subject and asked nothing: its task was in no pair.
    doc = tmp_path / "agent.md"
    code = '```toml\nproxy = "http://proxy:8080"\n```'
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Accounts\n\nAccounts are kept for 30 days. "
        "To change your password, run `ferry passwd`. To set a proxy, add `HTTPS_PROXY` to the "
        "environment. To run the agent yourself, start `ferry run`. To be safe, the agent keeps a "
        "copy.\n\nThe agent reads its settings at startup.\n\n"
        f"To pin a proxy for one source, add this to the file:\n\n{code}\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I set a proxy?"] == "Add `HTTPS_PROXY` to the environment."
    assert pairs["How do I change my password?"] == "Run `ferry passwd`."
    assert pairs["How do I run the agent myself?"] == "Start `ferry run`."
    assert pairs["How do I pin a proxy for one source?"] == (
        f"To pin a proxy for one source, add this to the file:\n\n{code}"
    )
    # A purpose followed by a statement, not a step, is no task of the reader's; a pointer
    # elsewhere answers nothing, and "this" is what came before.
    assert not any(q.startswith("How do I be") for q in pairs)
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## More\n\nFerrylog reads its settings at startup. "
        "To learn about plugins, see the plugin guide. To try this out yourself, run the demo.\n"
    )
    assert not any(q.startswith("How do I") for q in pairs_of(doc))


def test_a_step_done_to_it_is_answered_with_its_purpose_that_says_what_it_is(tmp_path):
    # From MLflow's monitoring guide: "How do I pause scoring while keeping registration?" was
    # answered "Stop it.", which names nothing to stop.
    doc = tmp_path / "monitoring.md"
    doc.write_text(
        "# Monitoring\n\nMonitoring scores live traffic.\n\n## Operate\n\n"
        "To pause scoring while keeping registration, stop it. "
        "To change your password, run `ferry passwd`.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I pause scoring while keeping registration?"] == (
        "To pause scoring while keeping registration, stop it."
    )
    assert pairs["How do I change my password?"] == "Run `ferry passwd`."


def test_a_library_readme_s_topic_is_spelled_as_the_readme_spells_its_name(tmp_path):
    # A README with no title heading is about its file's name: "What is fastapi?", "How do I
    # install fastapi?", "What Python version does rich require?"; the prose spells them
    # "FastAPI", "Rich".
    readme = tmp_path / "fastapi.md"
    readme.write_text(
        '<p align="center"><a href="https://fastapi.tiangolo.com"><img src="logo.png"></a></p>\n\n'
        "FastAPI framework, high performance, easy to learn, ready for production.\n\n"
        "## Installation\n\nAdd FastAPI to your project:\n\n```console\n$ uv add fastapi\n```\n\n"
        "## Requirements\n\nFastAPI requires Python 3.9 or later.\n"
    )
    pairs = pairs_of(readme)
    assert pairs["What is FastAPI?"].startswith("FastAPI framework, high performance")
    assert pairs["How do I install FastAPI?"].startswith("Add FastAPI to your project:")
    assert pairs["What does FastAPI require?"] == "FastAPI requires Python 3.9 or later."
    readme = tmp_path / "rich.md"
    readme.write_text(
        "Rich is a Python library for rich text in the terminal.\n\n## Compatibility\n\n"
        "Rich works with Linux, macOS and Windows. Rich requires Python 3.8 or later.\n"
    )
    pairs = pairs_of(readme)
    assert pairs["What Python version does Rich require?"] == "Rich requires Python 3.8 or later."
    assert pairs["What does Rich work with?"] == "Rich works with Linux, macOS and Windows."
    # A name the prose writes in lower case stays so.
    readme = tmp_path / "requests.md"
    readme.write_text(
        "## Installation\n\nInstall requests with pip:\n\n```\npip install requests\n```\n"
    )
    assert "How do I install requests?" in pairs_of(readme)


def test_a_name_that_is_a_word_keeps_the_capital_the_manual_gives_it_mid_sentence(tmp_path):
    # "Quill" is an English word, but the manual writes it capitalised mid-sentence: a name in
    # every section, also where sentences only open with it and `pip install quill` is code.
    manual = tmp_path / "manual.md"
    manual.write_text(
        "# Welcome\n\nThank you for choosing Quill, a notebook for the desktop.\n\n"
        "## Python\n\nQuill requires Python 3.10 or later. Install it with `pip install quill`."
        "\n\n## Export\n\nQuill exports notes as PDF or HTML.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert (
        pairs["What Python version does Quill require?"] == "Quill requires Python 3.10 or later."
    )
    assert pairs["What does Quill export?"] == "Quill exports notes as PDF or HTML."
    # A word a manual only opens sentences with stays a word.
    notes = tmp_path / "notes.md"
    notes.write_text("Notebooks hold the pages of a project.\n", encoding="utf-8")
    assert "What do notebooks hold?" in pairs_of(notes)
    # Nor is a word a name where only code ("return True") or a line ended before it (a heading
    # the file wrote as a plain line) capitalises it mid-sentence.
    guide = tmp_path / "guide.md"
    guide.write_text(
        "# Widgets\n\nThe parser checks each line:\n\n```python\nif line: return True\n```\n\n"
        "## Colours\n\nTrue color works with every modern terminal.\n\n## Downloads\n\n"
        "Or an entire folder\n\nFiles are saved in the cache folder.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(guide)
    assert "What does true color work with?" in pairs
    assert "Where are files saved?" in pairs


def test_a_phrase_a_files_name_gives_in_sentence_case_is_asked_in_lower_case(tmp_path):
    # support_tickets.md is about "Support tickets", as its prose opens a sentence: an ordinary
    # phrase, not a name ("How soon are Support tickets answered?" was asked).
    doc = tmp_path / "support_tickets.md"
    doc.write_text("Support tickets are answered within one business day.\n")
    assert "How soon are support tickets answered?" in pairs_of(doc)
    # A hyphenated word that opens a sentence is as ordinary as its parts.
    question = sentence_question("Low-level request streams must be buffered before sending.")
    assert question == "When must low-level request streams be buffered?"


def test_an_example_pair_shown_as_code_is_data_not_an_faq_entry(tmp_path):
    # An indented code block's "Q: ... A: ..." was read as an FAQ entry.
    doc = tmp_path / "format.md"
    doc.write_text(
        "# Rows\n\nA fenced row:\n\n```\nQ: How long are logs kept?\nA: 14 days.\n```\n\n"
        "An indented one:\n\n    Q: How often is the index rebuilt?\n    A: Hourly.\n\n"
        'A JSON line:\n\n```jsonl\n{"question": "Is it free?", "answer": "Yes."}\n```\n\n'
        "## FAQ\n\n- Q: Does the agent run on Windows?\n  A: Yes, on Windows 10 or later.\n"
    )
    pairs = pairs_of(doc)
    assert not {"How long are logs kept?", "How often is the index rebuilt?", "Is it free?"} & set(
        pairs
    )
    assert pairs["Does the agent run on Windows?"] == "Yes, on Windows 10 or later."


def test_a_second_rate_said_of_one_subject_and_verb_is_dropped_and_the_first_kept(tmp_path):
    # benchmarks/README.md: "The probe read 178–199 GFLOP/s" asked "How fast did the probe
    # read?" and "The probe read the same 219 GFLOP/s as then" "What did the probe read?": one
    # question, two answers, and a model trained on both learns neither. Which run each is, only
    # the paragraph says: the first stays, as a repeated question keeps its first answer.
    doc = tmp_path / "bench.md"
    doc.write_text(
        "# Throughput\n\n## CPU\n\nTunelab trains at 900 tokens per second. The probe read 178 "
        "GFLOP/s on the first try. The step took 3 s. The probe read the same 219 GFLOP/s after "
        "the update.\n\n## GPU\n\nTRL read 94 tok/s against 74. TRL read 60 tok/s (36% of the "
        "probe).\n",
        encoding="utf-8",
    )
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="template")
    generate_dataset(config, None, progress=False)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    probe = [r["answer"] for r in rows if "the probe read" in r["question"]]
    trl = [r["answer"] for r in rows if "TRL read" in r["question"]]
    assert probe == ["The probe read 178 GFLOP/s on the first try."]
    assert trl == ["TRL read 94 tok/s against 74."]


def test_a_question_asked_again_in_one_section_keeps_its_first_answer_though_one_gives_a_rate(
    tmp_path,
):
    # "What did the probe read?" answered by a rate counts as "How fast did the probe read?" too;
    # only that key was kept, so the same question over "the old log file" kept a second answer.
    doc = tmp_path / "bench.md"
    doc.write_text(
        "# Throughput\n\n## CPU\n\nThe probe read the same 219 GFLOP/s as before. The probe "
        "read the old log file after the update.\n",
        encoding="utf-8",
    )
    chunk = chunk_document(doc)[0]
    asked = [a for q, a in template_pairs(chunk) if q == "What did the probe read?"]
    assert asked == ["The probe read the same 219 GFLOP/s as before."]


def test_an_answer_ends_with_one_full_stop_unless_it_ends_with_its_own_mark(tmp_path):
    # "Descale your kettle every 4 weeks…" was answered "... 4 weeks….", a manual's "off..."
    # was cut to "off."
    manual = tmp_path / "kettle.md"
    manual.write_text(
        "# Brewmaster Kettle\n\n## Care\n\nDescale your kettle every 4 weeks…\n\n"
        "If you hear a rattle, switch the kettle off...\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["How often should I descale my kettle?"] == "Descale your kettle every 4 weeks…"
    assert pairs["What should I do if I hear a rattle?"] == (
        "If you hear a rattle, switch the kettle off..."
    )
    assert full_stop("Press it for 3 seconds") == "Press it for 3 seconds."
    assert full_stop("Clean it every 2 weeks!.") == "Clean it every 2 weeks!"
    assert full_stop("Wait….") == "Wait…"
    assert full_stop("Then wait...:", ".:") == "Then wait..."
    # Nothing said, as a table's cell "." is once its full stop is dropped, gets no full stop.
    assert full_stop("") == ""
