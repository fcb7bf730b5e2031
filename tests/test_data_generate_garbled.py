"""Questions template mode asked that read garbled, gave their answer away or made no sense outside
their document, each from a measured set (harborline's documents, tunelab's docs, the installed
packages' READMEs, a newcomer's manuals), and the question each asks now, or none: a wrong
question teaches the model nonsense and makes a test question no one would ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.headings import heading_question
from tunelab.data.generate.template.questions import sentence_question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # "turns on" is a verb and its particle, not a place: "Where does the agent turn?"
        ("The agent turns on compression for files over 1 MB.", "What does the agent turn on?"),
        ("The agent switches off TLS for local peers.", "What does the agent switch off?"),
        ("The display turns on when the lid opens.", "When does the display turn on?"),
        # A hyphenated adjective is no subject, nor its noun a verb: "Where does held-out answer?"
        ("Held-out answers in the log are scored after each epoch.",
         "When are held-out answers in the log scored?"),
        ("Case-insensitive matches in Unicode use full case-folding.", None),
        ("Built-in checks on each row run before training.", None),
        ("Pre-commit runs on every push.", "When does Pre-commit run?"),  # a noun: asked
        # What a thing connects to, not how: "How does the T4 connect?"
        ("The T4 connects to the hub over Wi-Fi.", "What does the T4 connect to?"),
        ("The T4 connects over Wi-Fi.", "How does the T4 connect?"),
        # A phrase opening with a past participle is no subject: "What does pooled over the two
        # split?"
        ("Pooled over the two splits (48 question-runs a half): half A 6 → 31 right.", None),
        ("Trained models keep their tokenizer.", "What do trained models keep?"),
        # A "when" past a colon is another clause's: "When does X read the card: it says so?"
        ("`tunelab chat URL` reads the card: it says so when it starts.",
         "What does `tunelab chat URL` do?"),
        # A subject that points at what the reader has just seen asks nothing alone.
        ("The split below puts the adapters' products at 150 ms.", None),
        ("The rows below are on CPUs with AVX-512.", None),
        ("The other order is the faster one at every decoder shape.", None),
        ("The extra is the adapters' own work around each layer.", None),
        ("Files above 2 GB are skipped.", "Are files above 2 GB skipped?"),  # above a size
        # A changelog's entry is no statement: "What does fix equality check for?", "What does
        # added regression test?", "Where is ensure `pydantic_private` set?"
        ("Fix equality checks for primitives in literals by @sydney-runkle in #1459", None),
        ("Honor HTTP/2 max concurrent streams settings.", None),
        ("Ensure `pydantic_private` is set in `model_construct()` by @x in #12816", None),
        ("Added regression tests ensuring that lone surrogates are preserved.", None),
        ("Removed unused type ignores and casts -- by @hauntsaninja.", None),
        ("Cached results expire after 2 days.", "When do cached results expire?"),
        # A modifier and its plural noun before the verb: "Where does concurrent upload?",
        # "What does internal hard limit?", "How does developers on CPython still get ...?"
        ("Concurrent uploads on one connection could stall until the read timeout.", None),
        ("Internal hard limits can't be bypassed even with max_bytes set.", None),
        ("Developers on CPython still get accelerated builds by default.", None),
        ("Rich contains a number of renderables you can use.", "What does rich contain?"),
        ("The agent can't sync a USB drive.", "Can the agent sync a USB drive?"),
        # A name in Title Case is asked as written, not half lowered ("What is beautiful Soup?").
        ("Beautiful Soup is a library that makes it easy to scrape pages.",
         "What is Beautiful Soup?"),
        ("Full Unicode case-folding is supported.", "Is full Unicode case-folding supported?"),
        ("The Harborline Agent keeps files.", "What does the Harborline Agent keep?"),
        # A noun follows "one", no verb: "What did two trainings of one set?"
        ("Two trainings of one set flipped 13 of the 56 answers.", None),
        # "set" before "of" is a noun, no past tense: "What did a full set?" (a newcomer's manual);
        # it is one set that lasts
        (
            "A full set of batteries lasts about 18 months.",
            "How long does a full set of batteries last?",
        ),
        ("The team set a limit of 5 runs.", "What did the team set?"),
        # "cables" is the set's noun, "ships" its verb: "What does a set of USB cable?"
        ("A set of USB cables ships with the K7.", None),
        ("A pair of rubber feet comes in the bag.", None),
        # It says of nothing: "Where is nothing kept?" (docs/serve.md)
        ("Nothing is kept on the server.", None),
        # "One of ..." says which of several only with what came before.
        ("One of the most popular uses of pycparser is in the cffi library.", None),
    ],
)  # fmt: skip
def test_a_sentence_is_asked_as_it_reads_or_not_at_all(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    ("headings", "question"),
    [
        # A gerund's verb as the dictionary spells it ("How do I pars ...?", "How do I cit ...?").
        (["OpenAI", "Parsing webhook payloads"], "How do I parse webhook payloads?"),
        (["PEFT", "Citing PEFT"], "How do I cite PEFT?"),
        (["Evaluate", "Adding a new evaluation module"], "How do I add a new evaluation module?"),
        (["Guide", "Setting a proxy"], "How do I set a proxy?"),
        # Two tasks, each by its verb: "How do I combin and reversing facts?"
        (["Demo", "Combining and reversing facts"], "How do I combine and reverse facts?"),
        # A reported question after "How far" or "How long", put in question order.
        (["Guide", "How far the fact score can be trusted"],
         "How far can the fact score be trusted?"),
        (["Guide", "How long a run takes"], "How long does a run take?"),
        (["Guide", "How much memory is needed"], "How much memory is needed?"),
        # An HTML anchor in a heading is no word of it, nor a badge.
        (["Databricks SDK", 'Getting started<a id="getting-started"></a>'],
         "How do I get started with Databricks SDK?"),
        (["Thread-pool Controls [![Build](https://x.io/b.svg?branch=main)](https://x.io/a?q=1)",
          "Installation"], "How do I install Thread-pool Controls?"),
        # A changelog's entry is done, no task: "How do I fixed the handling of ...?"
        (["regex", "Fixed the handling of locale-sensitive regexes"], None),
        # A release's subsection asks what came in it: "What features does 1.22.0 have?",
        # "What is fixed?", "How do I contributor-fac changes?"
        (["1.22.0", "Features"], "What features came in 1.22.0?"),
        (["Changelog", "[3.5.3](https://x.io/compare/3.5.2..3.5.3)", "Fixed"],
         "What was fixed in 3.5.3?"),
        (["v1.8.0", "Contributor-facing changes"], "What contributor-facing changes came in 1.8.0?"),
        (["v1.7.0", "Packaging updates and notes for downstreams"], None),
        (["Changelog", "0.8.0 (April 30th, 2020)", "Fixed"], "What was fixed in 0.8.0?"),
        (["Changelog", "Fixed"], None),  # of no release known as one: "What is fixed?"
        (["Sentence Transformers", "Citing & Authors"], None),  # "How do I cite & Authors?"
        # A title's name before its " -- " tagline: "What features does sqlitedict -- persistent
        # dict, backed by SQLite have?"
        (["sqlitedict -- persistent dict, backed by SQLite", "Features"],
         "What features does sqlitedict have?"),
        # Pointers elsewhere ask nothing: "What are links?"
        (["sqlparse", "Links"], None),
    ],
)  # fmt: skip
def test_a_heading_is_asked_in_words_that_read(headings, question):
    assert heading_question(headings, "Some text.") == question


def test_a_release_is_asked_with_its_product_never_a_changelog_s_name_or_a_file_stem():
    # "What changed in 0.10.0?" under "# Changelog" of httpcore.md named no product.
    assert heading_question(["Changelog", "0.10.0"], "", "httpcore") == (
        "What changed in httpcore 0.10.0?"
    )
    assert heading_question(["1.22.0", "Fixed"], "", "CHANGELOG") == "What was fixed in 1.22.0?"
    # A file's stem its prose never writes names nothing: not "faq_and_releases 4.2.0".
    assert heading_question(["4.2.0"], "", "faq_and_releases") == "What changed in 4.2.0?"


def test_a_release_s_features_are_asked_with_the_product_its_file_names(tmp_path: Path):
    changes = tmp_path / "yarl.md"
    changes.write_text(
        "# 1.22.0\n\n## Features\n\n- Added `URL.host_port_subcomponent`.\n\n"
        "## Bug fixes\n\n- Fixed a leak in `URL.join`.\n- Fixed `URL.port` of IPv6 hosts.\n\n"
        "## Links\n\n| | |\n|---|---|\n| Release notes | https://x.io/notes |\n",
        encoding="utf-8",
    )
    pairs = pairs_of(changes)
    assert pairs["What features came in yarl 1.22.0?"] == "- Added `URL.host_port_subcomponent`."
    # Every entry of a release's subsection answers it, as a release's own question is.
    assert pairs["What bug fixes came in yarl 1.22.0?"] == (
        "- Fixed a leak in `URL.join`.\n- Fixed `URL.port` of IPv6 hosts."
    )
    # A table of no column names asks nothing of its rows ("What is the  of Release notes?").
    assert not [q for q in pairs if "Release notes" in q]


def test_a_generic_heading_asks_about_a_file_named_phrase_in_lower_case(tmp_path: Path):
    manual = tmp_path / "battery_care.md"
    manual.write_text(
        "## Overview\n\nBattery care keeps the pack healthy. Charge the battery before use.\n",
        encoding="utf-8",
    )
    assert "What is battery care?" in pairs_of(manual)  # not "What is Battery care?"
    # A name keeps its capitals, even where its install line writes it in lower case.
    readme = tmp_path / "accelerate.md"
    readme.write_text(
        "Accelerate runs training anywhere.\n\n## Installation\n\nRun `pip install accelerate`.\n",
        encoding="utf-8",
    )
    assert "How do I install Accelerate?" in pairs_of(readme)


UI_STEPS = """# AquaFlow P3 Manual

## Controls

Press Enter to continue. On the Welcome screen, press Next to finish.
Press and hold the reset button for 10 seconds to reset the pump.
"""


def test_a_one_word_ui_task_is_asked_where_it_is_done(tmp_path: Path):
    manual = tmp_path / "aquaflow.md"
    manual.write_text(UI_STEPS, encoding="utf-8")
    pairs = pairs_of(manual)
    assert pairs["How do I continue in AquaFlow P3?"] == "Press Enter to continue."
    assert pairs["How do I finish on the Welcome screen?"] == (
        "On the Welcome screen, press Next to finish."
    )
    assert "How do I reset the pump?" in pairs
    # A document naming no product asks no "How do I continue?": every manual's question.
    notes = tmp_path / "notes.md"
    notes.write_text("# Controls\n\nPress Enter to continue.\n", encoding="utf-8")
    assert not [q for q in pairs_of(notes) if "continue" in q]


def test_a_table_of_descriptions_asks_what_each_thing_is(tmp_path: Path):
    # "What does vllm mean?" was answered "Vllm means vLLM fast inference.", and a feature's
    # emoji was asked with it ("What does 📦 One-line dataset loading mean?").
    readme = tmp_path / "datasets.md"
    readme.write_text(
        "# Datasets\n\nDatasets loads data.\n\n## Classes\n\n| Class | Description |\n|---|---|\n"
        "| `Dataset` | In-memory dataset backed by Arrow |\n\n## Features\n\n"
        "| Feature | Description |\n|---|---|\n| 📦 **Streaming mode** | Stream without downloading |\n"
        "\n## Extras\n\n| NAME | Description |\n|---|---|\n| vllm | vLLM fast inference |\n"
        "\n## Guides\n\n| Guide | Description |\n|---|---|\n| Task Guide | Available tasks |\n",
        encoding="utf-8",
    )
    pairs = pairs_of(readme)
    assert pairs["What is the `Dataset` class?"] == "`Dataset`: In-memory dataset backed by Arrow."
    assert pairs["What is the Streaming mode feature?"] == (
        "Streaming mode: Stream without downloading."
    )
    assert pairs["What is vllm?"] == "vllm: vLLM fast inference."
    assert "What is Task Guide?" in pairs  # not "What is the Task Guide guide?"


def test_a_name_in_a_table_of_minimums_keeps_its_capital(tmp_path: Path):
    # harborline's requirements table asked "What is the minimum python (for the CLI)?".
    doc = tmp_path / "requirements.md"
    doc.write_text(
        "# Agent\n\n## Requirements\n\n| Item | Minimum |\n|---|---|\n"
        "| Memory | 4 GB |\n| Python (for the CLI) | 3.10 |\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What is the minimum Python (for the CLI)?"] == (
        "The minimum Python (for the CLI) is 3.10."
    )
    assert "What is the minimum memory?" in pairs
