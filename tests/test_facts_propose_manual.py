"""`tunelab data facts` on the pairs `tunelab data generate` makes of a manual (template mode):
their answers are the manual's sentences, so the facts are its steps' keys, its settings' values
and the fix after a cause, as a reader asking would need them."""

from tests.conftest import proposed_check
from tunelab.evaluate.facts.propose import propose
from tunelab.evaluate.facts.score import parse_fact_check, score_facts


def _facts(question: str, answer: str) -> list[str]:
    return [alternatives[0] for alternatives in propose(question, answer, {})[0]]


def test_the_fix_after_the_cause_is_the_fact_where_it_acts_on_both_or_on_a_name():
    # The cause's "flat", "2 weeks" and "network" were proposed: a right answer states the fix.
    assert _facts(
        "What should I do when the display is blank?",
        "The batteries are flat or inserted the wrong way round. Replace both AA batteries and "
        "check that the plus side faces up.",
    ) == ["AA"]
    assert _facts(
        "What should I do when the low-battery symbol flashes?",
        "Fewer than 2 weeks of battery life remain. Replace both batteries within 14 days.",
    ) == ["14 days"]
    # The fix's verb is no part of the name it acts on: "Restart Labelsync" was read as a name
    # titling the question's subject, so "printer" and "menu" were proposed, not "restart".
    assert _facts(
        "What should I do when Labelsync stops syncing?",
        "Labelsync stops when the network drops. Restart Labelsync from the printer's menu.",
    ) == ["restart", "printer"]


def test_a_specification_list_of_labelled_values_gets_its_values():
    # "- Water pressure: 0.5 to 8 bar" was read to its colon: "pressure" and "water" were the facts
    # (and "4 inch" of "3/4 inch", which 1/4 inch states).
    facts = _facts(
        "What are the specifications of the Aquaflow 300?",
        "- Water pressure: 0.5 to 8 bar\n- Inlet thread: 3/4 inch\n"
        "- Maximum flow: 30 litres per minute",
    )
    assert "3/4" in facts and "30 litres per minute" in facts
    assert "water" not in facts and "pressure" not in facts and "4 inch" not in facts


def test_an_option_is_the_fact_though_the_question_says_its_word():
    # "How do I resume…?" / "… with `--resume`": the question's "resume" hid it ("same" was one).
    assert _facts(
        "How do I resume a stopped run?",
        "Run the same command again with `--resume`. Tunelab reads the last checkpoint.",
    ) == ["--resume"]


def test_names_listed_after_a_colon_are_the_facts():
    # "The D8 has four modes:" named no term, and what it introduced was read for code alone.
    assert _facts(
        "What modes does the D8 have?",
        "The D8 has four modes: Auto, Continuous, Laundry and Sleep.",
    ) == ["Auto", "Continuous", "Laundry", "Sleep"]


def test_a_temperature_ends_its_sentence():
    # "60 °C." read as an initial, "C.": the next sentence's "5 minutes" was a fact too.
    assert _facts(
        "How hot does the print head get?",
        "The print head can reach 60 °C. It cools down in 5 minutes.",
    ) == ["60 °C"]


def test_a_specifications_section_of_sentences_gets_every_value():
    # Each sentence states one specification; the first sentence's "60 °C" alone was the fact.
    assert _facts(
        "What are the specifications of PX-40 Thermal Printer?",
        "The print head can reach 60 °C. The label roll holds 50 m of labels. "
        "The printer runs at 24 V.",
    ) == ["60 °C", "50 m", "24 V"]


def test_a_status_light_s_meaning_after_its_label_is_the_fact():
    # "Solid green:" restates the question; what it introduces was never read (no fact).
    assert _facts("What does blinking red mean?", "Blinking red: The paper is out.") == ["paper"]


def test_a_code_block_s_facts_are_its_command_lines_without_fence_language_or_comments():
    # The block was one fact, "bash\n# install it\npip install tunelab": a right "Run pip install
    # tunelab" failed it.
    answer = "Install it with pip:\n```bash\n# install it\npip install tunelab\n```"
    assert _facts("How do I install tunelab?", answer) == ["pip install tunelab"]
    check = parse_fact_check({"facts": propose("How do I install tunelab?", answer, {})[0]}, "t")
    assert score_facts("Run pip install tunelab", check)["fact_accuracy"] == 1.0
    assert score_facts("Run conda install tunelab", check)["fact_accuracy"] == 0.0
    # Each line of several is a step to state.
    assert _facts(
        "How do I install tunelab?", "```\n$ pip install -U pip\n$ pip install tunelab\n```"
    ) == ["pip install -U pip", "pip install tunelab"]
    # A block on one line has no language tag: "pip" is its command's.
    assert _facts("How?", "Type ```pip install tunelab``` in a shell.") == ["pip install tunelab"]


def test_the_usage_of_the_option_a_question_asks_about_restates_it_and_is_no_fact():
    # "--test TEXT" (and "TEXT") were the facts: any answer repeating the option stated them.
    for answer in ("--test TEXT: the test questions file", "`--test TEXT`: the test questions."):
        facts = _facts("What does the --test option do?", answer)
        assert facts and not any("TEXT" in fact or "--test" in fact for fact in facts)
        assert "questions" in facts


def test_a_known_tool_s_command_written_without_backticks_is_one_fact():
    # "RUN" alone was the fact, which "Start the server with tunelab train RUN" stated.
    assert _facts("How do I start the server?", "Start the server with tunelab serve RUN") == [
        "tunelab serve RUN"
    ]
    # A tool named in prose is no command: "docker" alone stays a word.
    assert "docker containers" not in _facts("How?", "Start it with docker containers and images.")


def test_a_range_in_words_is_one_fact_that_the_range_written_any_way_states():
    # "ranges from 2 to 8 inches per second" proposed "2", which any answer's "2" stated.
    question, answer = "How fast does it print?", "Speed ranges from 2 to 8 inches per second."
    assert _facts(question, answer) == ["2 to 8 inches per second"]
    check = proposed_check(question, answer)
    assert score_facts("It prints 2-8 inches per second.", check)["fact_accuracy"] == 1.0
    assert score_facts("It prints 2 inches per second.", check)["fact_accuracy"] == 0.0
    assert _facts("How much memory?", "It needs between 4 and 8 GB of RAM.") == [
        "between 4 and 8 GB"
    ]


def test_a_list_in_a_sentence_gives_every_item_with_the_unit_it_ends_with():
    # "24", "48" were proposed (no unit, no "72"), and 2 of 3 label widths and systems.
    question, answer = (
        "How long can rain delay pause watering?",
        "It pauses for 24, 48 or 72 hours.",
    )
    assert _facts(question, answer) == ["24 hours", "48 hours", "72 hours"]
    check = proposed_check(question, answer)
    assert score_facts("Rain delay lasts 24 h, 48 h or 72 h.", check)["fact_accuracy"] == 1.0
    assert score_facts("It pauses for 24, 48 or 72 minutes.", check)["fact_accuracy"] == 0.0
    assert _facts(
        "Which label widths are supported?", "Labels 58 mm, 80 mm and 104 mm wide are supported."
    ) == ["58 mm", "80 mm", "104 mm"]
    assert _facts(
        "Which systems does it run on?", "It runs on Windows 10, Windows 11 and macOS 13."
    ) == ["Windows 10", "Windows 11", "macOS 13"]
    # Terms scattered through a long sentence are no list: the first two only.
    assert len(_facts("How do I set it up?", "Copy a.yaml to /etc/app and run `app --init`.")) == 2
