"""Facts proposed from a reference answer take a value whole: with its unit, sign, currency or
name, in scientific notation or in words, a date, an address, a path; so a wrong value misses
the fact."""

from __future__ import annotations

import pytest

from tests.conftest import proposed_check
from tunelab.evaluate.facts.propose import propose
from tunelab.evaluate.facts.propose_file import propose_rows
from tunelab.evaluate.facts.score import parse_fact_check, score_facts


def test_an_address_or_code_a_colon_introduces_is_the_fact_not_the_words_before_it():
    # lamini_docs: "visit" and "setting" were proposed, the URL the answer gives was not.
    facts, _ = propose(
        "Does the documentation show how to integrate the code?",
        "Yes, for more information in setting it up visit: https://lamini-ai.github.io/",
        {},
    )
    assert facts == [["https://lamini-ai.github.io/"]]
    facts, _ = propose(
        "How do I remove it?", "Open a terminal and type: `pip uninstall lamini`.", {}
    )
    assert facts == [["pip uninstall lamini"]]
    # What a colon introduces is detail where the sentence before it names a term.
    facts, _ = propose("What does it read?", "It reads CSV files: one row per example.", {})
    assert facts == [["CSV"]]


def test_the_address_of_a_resource_asked_for_is_the_fact_in_whichever_sentence_gives_it():
    # lamini_docs: these rows got no fact, or "production" and "settings", where the same
    # questions answered with the address first got the address.
    facts, _ = propose(
        "Is there a changelog or release notes section in the documentation?",
        "Because we're moving quickly, our documentation may be out of date. Please report any "
        "issues. Check out the latest version at https://pypi.org/project/lamini/.",
        {},
    )
    assert facts == [["https://pypi.org/project/lamini/"]]
    check = parse_fact_check({"facts": facts}, "test")
    # The reference's wording without its address no longer scores as right.
    assert score_facts("It is out of date; report issues.", check)["fact_accuracy"] == 0.0
    # A yes/no one too: "Yes." names no place (its other verdict stays the wrong answer).
    facts, wrong = propose(
        "Are there any community forums or support channels?",
        "Yes, this chat serves as a forum for questions. The team can be reached at info@lamini.ai.",
        {},
    )
    assert (facts, len(wrong)) == ([["info@lamini.ai"]], 1)
    facts, _ = propose(
        "Where can I find the docs?", "They are online. See https://example.com/docs for all.", {}
    )
    assert facts == [["https://example.com/docs"]]


def test_an_address_is_no_fact_where_no_resource_is_asked_and_a_resource_s_words_are_none():
    # "How do they compare?" asks no resource: the health-check URL a later sentence gives is a
    # detail, and the first sentence's rare words stay the (weaker) guess.
    facts, _ = propose(
        "How do the support channels of Lamini and ChatGPT compare?",
        "Lamini includes an early access program. You can query https://api.example.com/health.",
        {},
    )
    assert facts == [["early"], ["access"]]
    # "Where is…?" asks a place, which the first sentence gives in words; the page showing it
    # is a detail.
    facts, _ = propose(
        "Where is the serial number?",
        "On the label under the base. See https://example.com/serial for pictures.",
        {},
    )
    assert facts == [["label"], ["base"]]
    # A resource asked for and no address given: the words that name it ("tutorials",
    # "walkthroughs", "documentation") are its style, no fact; "Yes" is the answer.
    facts, wrong = propose(
        "Are there any tutorials or walkthroughs?",
        "Yes, there are step-by-step tutorials and walkthroughs available in the documentation.",
        {},
    )
    assert (facts, len(wrong)) == ([], 1)


def test_a_date_is_one_fact():
    facts, _ = propose("When was it released?", "It was released on 2023-05-01 by Meta.", {})
    assert facts == [["2023-05-01", "May 1, 2023", "1 May 2023"], ["Meta"]]
    check = parse_fact_check({"facts": facts}, "test")
    assert score_facts("Meta released it on 2024-01-01.", check)["fact_accuracy"] == 0.0


def test_a_value_written_again_in_brackets_is_one_fact_with_two_alternatives():
    facts, _ = propose("What is the dropout?", "The dropout is 0.5 (50%).", {})
    assert facts == [["0.5", "50%"]]
    check = parse_fact_check({"facts": facts}, "test")
    assert score_facts("It drops 50%.", check)["fact_accuracy"] == 1.0
    # "5e-4 (0.0005)" is one value as the scorer reads it: one fact, said either way.
    facts, _ = propose("What is the learning rate?", "The learning rate is 5e-4 (0.0005).", {})
    assert facts == [["5e-4"]]
    check = parse_fact_check({"facts": facts}, "test")
    assert score_facts("Use 0.0005.", check)["fact_accuracy"] == 1.0


@pytest.mark.parametrize(
    ("question", "reference", "facts", "wrong_answer", "right_answer"),
    [
        ("How much disk space is needed?", "At least 5GB of free disk space.",
         [["5GB"]], "At least 50GB of free disk space.",
         "It needs 5 GB."),
        ("How much RAM?", "It needs 16 GB of RAM.", [["16 GB"]],
         "It needs 16 MB.", "16GB."),
        ("Which model is the base?", "The base is Llama 2 70B.", [["Llama 2 70B"]],
         "The base is Llama 2 7B.", "Llama 2, the 70B one."),
        ("Which GPU?", "An NVIDIA A100 80GB is recommended.",
         [["A100"], ["80GB"]],
         "An NVIDIA H100 40GB is recommended.", "An A100 with 80 GB."),
        ("What is the offset?", "The offset is -8 hours from UTC.", [["-8 hours", "-8 hour"], ["UTC"]],
         "The offset is +5 hours from UTC.", "UTC -8 hours."),
        ("What does it cost?", "It costs $20 per month.", [["$20 per month", "$20/month", "$20 a month"]],
         "It costs €20 per month.", "$20 a month."),
        # A rate's period is its value's: "$20 per year" was credited for "$20 per month".
        ("What does it cost?", "It costs $20/month.", [["$20/month", "$20 per month"]],
         "It costs $20 per year.", "$20 per month."),
        ("What does it cost?", "It costs 5 EUR per user.",
         [["5 EUR per user", "5 EUR/user", "5 EUR a user"]], "5 USD per user.", "5 EUR a user."),
        # A currency written out is the value's: "89" alone was stated by "89 dollars per month".
        ("What is the plan's price?", "The plan costs 89 euros per year.",
         [["89 euros per year", "89 euros/year", "89 euros a year"]],
         "It costs 89 dollars per month.", "It costs €89 a year."),
        ("What does it cost?", "It costs 799 euros.", [["799 euros"]], "It costs $799.",
         "It costs €799."),
        ("What share is held out?", "10 % of the rows.", [["10 %"]], "10 rows.", "10%."),
        ("When was it released?", "It was released on March 5, 2024 in San Francisco.",
         [["March 5, 2024", "5 March 2024", "2024-03-05"], ["San Francisco"]], "It was released on May 5, 2024.",
         "On March 5, 2024, in San Francisco."),
        ("Who wrote it?", "It was written by Dr. Jane Smith at MIT.", [["MIT"], ["Jane Smith"]],
         "It was written by Dr. Bob Jones at MIT.", "Jane Smith, at MIT."),
    ],
)  # fmt: skip
def test_a_value_is_one_fact_with_its_unit_sign_currency_or_name_so_a_wrong_one_misses_it(
    question, reference, facts, wrong_answer, right_answer
):
    proposed, _ = propose(question, reference, {})
    assert proposed == facts
    check = parse_fact_check({"facts": proposed}, "test")
    assert score_facts(wrong_answer, check)["fact_accuracy"] == 0.0
    assert score_facts(right_answer, check)["fact_accuracy"] == 1.0


@pytest.mark.parametrize(
    "reference, right, wrong",
    [
        ("The default is 5e\u22124.", "It is 5e-4.", "It is 5e+4."),  # a minus sign
        ("Use 1.5E-3 here.", "Use 1.5e-3.", "Use 1.5e-2."),  # a capital E
    ],
)
def test_a_number_in_scientific_notation_is_one_fact_however_written(reference, right, wrong):
    check = proposed_check("What value?", reference)
    assert score_facts(right, check)["fact_accuracy"] == 1.0
    assert score_facts(wrong, check)["fact_accuracy"] == 0.0


@pytest.mark.parametrize(
    "reference, right, wrong",
    [
        ("The default retention period is 10 days.", "Messages stay 10 days.", "10 seconds."),
        ("The default retention period is 10 days.", "A 10-day retention.", "10 weeks."),
        (
            "The default retention period is 10 days.",
            "10 day",
            "Retention is 30 days (10 D-cells).",
        ),
        ("The timeout is 3 seconds.", "3 sec", "Python 3's default timeout is 30 seconds."),
        ("The timeout is 30s.", "30 seconds", "30 minutes"),  # a one-letter unit, spelled out
        ("The disk reads at 5 GB/s.", "5 GB/s", "5 seconds"),
        ("The uplink runs at 56 kbit/s.", "56 kbit/s", "28 kbit/s"),
        ("A reboot takes 1 hour.", "About 1 hours.", "1 hour? No, that's wrong: 1 minute."),
        ("Draining a node takes about 5 minutes.", "About 5 minutes.", "About 5 hours."),
        ("Each file may hold 2 megabytes.", "Up to 2 MB.", "Up to 2 bytes."),
        ("It transmits at 20 dBm.", "20 dBm", "20 mW"),
        ("It takes 12 V.", "12V", "12 A"),
        ("It weighs 1.2 kg.", "1.2 kg", "1.2 lb"),
        ("It reaches 2.4 Gbps.", "2.4 Gbps", "1.2 Gbps on the 2.4 GHz band."),
        # Units of weight, volume and length were left off: "350" was the fact, and "350 kg"
        # stated it (a walk's product data).
        ("The spare battery weighs 350 g.", "It weighs 350 grams.", "It weighs 350 kg."),
        ("The cable is 6 ft long.", "It is 6 feet long.", "It is 6 m long."),
        ("The tank holds 1.5 L.", "It holds 1.5 litres.", "It holds 1.5 gallons."),
        ("The winch lifts 3 lb.", "It lifts 3 pounds.", "It lifts 3 kg."),
        # A one- or three-letter unit after a space: "50" was the fact, and "50 cm" stated it.
        ("The printer holds 50 m of labels.", "It holds 50 metres.", "It holds 50 cm."),
        ("Labels are 25 mm wide.", "25 millimetres wide.", "25 cm wide."),
        ("A full charge takes 8 h.", "About 8 hours.", "About 8 minutes."),
        ("The job retries after 5 min.", "After 5 minutes.", "After 5 seconds."),
        # A small count written as a word.
        ("The rank defaults to 16.", "It defaults to sixteen.", "It defaults to eight."),
        ("It has 4 propellers.", "It has four propellers.", "It has six propellers."),
        ("The batch size is 32.", "It is thirty-two.", "It is sixty-four."),
        # 21 to 29 raised a KeyError: the whole run stopped on a held-out answer of "24".
        ("It has 24 layers.", "It has twenty-four layers.", "It has twelve layers."),
    ],
)
def test_a_unit_written_as_a_word_is_part_of_its_value(reference, right, wrong):
    # "10 days" was proposed as the fact 10, and "10 seconds" stated it; a unit not listed
    # ("20 dBm") was dropped, or made a fact of its own ("Gbps") that need not sit by its value.
    # Its other forms ("10-day", "1 hours") still state it; one-letter forms ("10d") are none,
    # as "Python 3's" would state "3 s".
    check = proposed_check("How long?", reference)
    assert score_facts(right, check)["fact_accuracy"] == 1.0
    assert score_facts(wrong, check)["fact_accuracy"] == 0.0


@pytest.mark.parametrize(
    ("answer", "facts"),
    [
        ("The cable is 50 m long.", [["50 m", "50 metre", "50 metres", "50 meter", "50 meters"]]),
        ("It runs at 5 m/s.", [["5 m/s"]]),
        ("Charging takes 8 h.", [["8 h", "8 hour"]]),
        ("Use the 135m model.", [["135m"]]),  # glued "m": metres, minutes or millions: no forms
    ],
)
def test_a_short_unit_after_a_number_is_part_of_its_value(answer, facts):
    assert propose("How much?", answer, {})[0] == facts


def test_a_rate_is_one_fact_and_a_stray_full_stop_makes_no_file_type():
    # "kbit/s" (a slash name) was a fact of its own beside "56 kbit/s"; "5 GB/s" was the fact 5.
    assert propose("Rate?", "The uplink runs at 56 kbit/s.", {})[0] == [["56 kbit/s"]]
    assert propose("Rate?", "The disk reads at 5 GB/s.", {})[0] == [["5 GB/s"]]
    assert ".Then" not in str(propose("What next?", "It ends here .Then it stops.", {})[0])


@pytest.mark.parametrize(
    "question, answer, facts",
    [
        (
            "How much is the plan?",
            "It costs $5 million per year.",
            [["$5 million per year", "$5 million/year", "$5 million a year"]],
        ),
        ("When is the backup?", "The backup runs at 10:30 PM.", [["10:30 PM"]]),
        ("Which ratio?", "Use a 16:9 ratio.", [["16:9"]]),
        (
            "When was v2 released?",
            "It was released on March 5th, 2024.",
            [["March 5th, 2024", "5 March 2024", "2024-03-05"]],
        ),
        ("What is the discount?", "The discount is 5%-10%.", [["5%-10%"]]),
        # A value the answer denies is no fact of it, nor the word its negation leaves.
        ("Which OS is supported?", "Windows is not supported; only Linux is.", []),
        ("What is the default batch size now?", "8 is no longer the default; it is 16.", []),
    ],
)
def test_values_are_proposed_whole_and_denied_ones_not_at_all(question, answer, facts):
    found, _ = propose(question, answer, {})
    assert found == facts
    # What the scorer marks a sign or currency with never reaches the file a person reviews.
    assert not any(ord(ch) >= 0xE000 for fact in found for phrase in fact for ch in phrase)


@pytest.mark.parametrize(
    "question, answer, facts",
    [  # found by a newcomer's walk on their own product docs
        ("What is the support address?", "Write to help@quillfin.example.",
         [["help@quillfin.example"]]),  # was its domain alone: sales@... stated it
        ("Where is the data kept?", "The default data directory is /var/lib/harborline.",
         [["/var/lib/harborline"]]),  # was "var/lib/harborline"
        ("What Java version do I need?", "Harborline Gateway requires Java 21 or later.",
         [["Java 21"], ["Harborline Gateway"]]),  # was "21" and "Gateway"
        ("When was it released?", "It was released on 14 March 2026.",
         [["14 March 2026", "March 14, 2026", "2026-03-14"]]),
        # From an audit: "Apache" and "2.0" apart, and no fact for R's file types.
        ("Which license?", "It is released under Apache 2.0.",
         [["Apache 2.0"]]),
        ("Which file type?", "Save it as an .Rmd file.", [[".Rmd"]]),
    ],
)  # fmt: skip
def test_addresses_paths_names_and_dates_are_proposed_whole(question, answer, facts):
    assert propose(question, answer, {})[0] == facts


def test_a_path_fact_is_that_path_not_one_holding_it():
    path = parse_fact_check({"facts": [["/var/lib/harborline"]]}, "t:1")
    for answer, right in [("It is /var/lib/harborline.", True),
                          ("It is /usr/var/lib/harborline.", False),
                          ("It is /var/lib/harborline/data.", False)]:  # fmt: skip
        assert score_facts(answer, path)["fact_accuracy"] == float(right), answer


@pytest.mark.parametrize("folder", ["/etc/pelican/", "/etc/pelican"])
def test_a_folder_and_a_file_name_proposed_apart_are_both_said_by_the_files_full_path(folder):
    # From a newcomer's QA pass: the reference names the folder and the file apart, and a right
    # answer giving the file's full path scored 0 (the folder "not stated").
    row = {
        "question": "Where does pelican keep its settings?",
        "answer": f"Settings are in pelican.toml in {folder}.",
    }
    proposed = propose(row["question"], row["answer"], {})[0]
    assert proposed == [[folder], ["pelican.toml"]]
    check = parse_fact_check({**row, "facts": proposed}, "t:1")
    for answer, right in [("It is /etc/pelican/pelican.toml.", True),
                          ("pelican.toml, in /etc/pelican/.", True),
                          ("It is /etc/pelican/conf/pelican.toml.", False),  # a folder deeper
                          ("It is /opt/pelican/pelican.toml.", False)]:  # fmt: skip
        assert score_facts(answer, check)["fact_accuracy"] == float(right), answer


PELICAN = "Pelican 2.1 reads its settings from /etc/pelican/pelican.toml."


@pytest.mark.parametrize(
    "answer, right",
    [
        ("Pelican 2.1 reads /etc/pelican/pelican.toml.", True),
        ("Since version 2.1 of Pelican, /etc/pelican/pelican.toml.", True),
        ("Pelican version 2.1 reads /etc/pelican/pelican.toml.", True),
        ("Pelican 2.2 reads /etc/pelican/pelican.toml.", False),
        ("Version 2.1 reads /etc/pelican/pelican.toml.", False),  # the version of what?
    ],
)
def test_a_named_version_opening_the_answer_is_proposed_with_its_name(answer, right):
    # From a QA pass: the answer's first word, "Pelican", was left off, and "2.1" alone was
    # proposed, which "Node 2.1" states.
    row = {"question": "Where are the settings read from?", "answer": PELICAN}
    proposed = propose(row["question"], row["answer"], {})[0]
    assert proposed[1][0] == "Pelican 2.1"
    check = parse_fact_check({**row, "facts": proposed}, "t:1")
    assert score_facts(answer, check)["fact_accuracy"] == float(right)


def test_a_version_alone_answers_a_question_that_names_whose_version_it_is():
    row = {"question": "Which Pelican release reads /etc/pelican/pelican.toml?", "answer": PELICAN}
    proposed = propose(row["question"], row["answer"], {})[0]
    check = parse_fact_check({**row, "facts": proposed}, "t:1")
    assert score_facts("Release 2.1 does.", check)["fact_accuracy"] == 1.0


@pytest.mark.parametrize(
    "answer, fact",
    [
        ("Use 0.05 as the warmup ratio.", "0.05"),  # an order and its value, no name
        ("Allow 2.5 GB for the cache.", "2.5 GB"),
        ("Version 3.8.2 was released in May.", "3.8.2"),
        ("Release 2.1 adds TOML support.", "2.1"),  # a word that numbers, not a name
    ],
)
def test_a_sentences_first_word_before_a_number_is_no_name_unless_a_verb_follows(answer, fact):
    assert propose("What should I do?", answer, {})[0][0][0] == fact


@pytest.mark.parametrize(
    "answer",
    [
        "In May Pelican 2.1 was released.",
        "It shipped in May Pelican 2.1 and later.",
    ],
)
def test_a_month_before_a_named_version_is_no_part_of_its_name(answer):
    # "May Pelican 2.1" was proposed, which a right "Pelican 2.1" does not state.
    facts, _ = propose("Which release reads it?", answer, {})
    assert ["Pelican 2.1"] == [f[0] for f in facts if "Pelican" in f[0]]
    assert not any("May" in f[0] for f in facts)
    # A name that is no product's with a version keeps its first word ("April Jones").
    assert propose("Who wrote it?", "It was written by April Jones.", {})[0] == [["April Jones"]]


def test_a_number_joined_to_its_noun_by_a_hyphen_is_one_fact_said_either_way():
    # "year" and "limited" were proposed: a right "three years" failed, a wrong "2-year" passed.
    warranty = "The D8 comes with a 3-year limited warranty."
    rows = [
        {"question": "What warranty does the D8 have?", "answer": warranty},
        {"question": "How long is the D8's warranty?", "answer": warranty},
        {"question": "Which plug does the D8 take?", "answer": "It takes a 2-pin plug."},
    ]
    out, _ = propose_rows(rows)
    assert [row["facts"] for row in out] == [
        [["3-year", "3 years"]],
        [["3-year", "3 years"]],  # the amount "how long" asks
        [["2-pin", "2 pins"]],
    ]
    check = parse_fact_check(out[0], "t:1")
    for answer, right in [
        ("It is covered for three years.", True),
        ("A 3 year limited warranty.", True),
        ("A 2-year limited warranty.", False),
        ("It has a limited warranty for 13 years.", False),
    ]:
        assert score_facts(answer, check)["fact_accuracy"] == float(right), answer
