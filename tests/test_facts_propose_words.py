"""A reference with no specific term: which of its words are proposed as its facts. A question
asking a name gets the name; an answer that explains at length gets no rare words of its style
(lamini_docs' "realm", "revel", "package", "manager"): such a row is judged by its wording, as it
says."""

from tunelab.evaluate.facts.propose_file import propose_rows

# Answers that say "Lamini" all along (more than 10% of them, and more than 3).
_LAMINI_SAYS = [
    {"question": f"Question {n}?", "answer": f"Lamini answers question {n} quickly."}
    for n in range(4)
]


def _facts(rows: list[dict]) -> list:
    return [row.get("facts") for row in propose_rows(rows)[0]]


def test_a_question_asking_a_name_gets_the_name_and_not_the_words_beside_it():
    rows = [
        {"question": "Which tool installs it?",
         "answer": "You install it with pip, the package manager."},
        # No name in the answer: no guess ("compared", "respective" were).
        {"question": "Which tool offers more flexibility?",
         "answer": "Based on their respective strengths, the first one, compared to others."},
    ]  # fmt: skip
    assert _facts(rows) == [[["pip"]], None]


def test_a_name_the_answers_say_all_along_is_the_fact_where_the_question_asks_it():
    asked = {"question": "Which library should I use to finetune?",
             "answer": "Lamini is designed for finetuning with little code."}  # fmt: skip
    not_asked = {"question": "How do I finetune?",
                 "answer": "Lamini finetunes with little code."}  # fmt: skip
    facts = _facts([asked, not_asked, *_LAMINI_SAYS])
    assert facts[0] == [["lamini"]]  # not "designed": the library's name is what is asked
    assert ["lamini"] not in facts[1]  # said all along, and not asked: no fact


def test_what_and_a_noun_a_perfect_s_verb_follows_asks_a_name_too():
    # "What library has …?" asked no name, as "What library does …?" did ("has" was missing from
    # asked.py's own list of a question's verbs): "lamini", said all along, was no fact.
    for question in ("What library has the fewest dependencies?", "What tools have a free tier?"):
        asked = {"question": question, "answer": "Lamini is designed for it with little code."}
        assert _facts([asked, *_LAMINI_SAYS])[0] == [["lamini"]]


def test_an_answer_that_explains_at_length_gets_no_rare_words_as_facts():
    explained = (
        "Within the realm of the engine, developers can revel in a diverse array of models, "
        "meticulously crafted for their use cases. These models, the fruit of dedicated "
        "engineering, let anyone start quickly without training one from scratch."
    )
    rows = [
        {"question": "Are pre-trained models available?", "answer": f"Yes. {explained}"},
        {"question": "What models are there?", "answer": explained},
        {"question": "Why?", "answer": "It keeps the gradient low."},  # short: its rare word
    ]
    out, _ = propose_rows(rows)
    assert [row.get("facts") for row in out] == [[], None, [["gradient"]]]
    assert "facts_from" not in out[1]  # left to be judged by its wording


def test_a_naming_verb_is_no_fact_beside_the_name_it_gives():
    rows = [{"question": "How do I import the engine?",
             "answer": "Import the engine (called llama)."}]  # fmt: skip
    assert _facts(rows) == [[["llama"]]]  # "called" was proposed beside it


def test_an_opinion_between_options_gets_no_name_unless_the_answer_picks_one():
    weighs = {"question": "Who is better you or chatgpt?",
              "answer": "Lamini is an engine for models, whereas ChatGPT is a model."}  # fmt: skip
    picks = {"question": "Which is better, Lamini or ChatGPT?",
             "answer": "Lamini is better for finetuning."}  # fmt: skip
    practices = {"question": "Are there best practices or guides for training?",
                 "answer": "Warmup helps."}  # fmt: skip
    # "lamini" was the fact of the first, which a right answer weighing both fails.
    assert _facts([weighs, picks, practices, *_LAMINI_SAYS])[:3] == [
        None,
        [["lamini"]],
        [["warmup"]],
    ]


def test_the_product_a_manuals_test_set_names_all_along_is_no_fact_where_another_thing_is_asked():
    # A router manual's test rows name "the Beacon R5" in most answers: "R5" was proposed as a
    # fact of "How do I reset the router?", and a right "hold reset for 12 seconds" failed.
    said = [
        {"question": f"What does setting {n} do?", "answer": f"The Beacon R5 uses setting {n}."}
        for n in range(4)
    ]
    reset = {"question": "How do I reset the router?",
             "answer": "Hold the reset button on the Beacon R5 for 12 seconds."}  # fmt: skip
    width = {"question": "What is the default channel width?",
             "answer": "The Beacon R5 uses a channel width of 80 MHz by default."}  # fmt: skip
    which = {"question": "Which router does this manual cover?",
             "answer": "This manual covers the Beacon R5."}  # fmt: skip
    facts = _facts([reset, width, which, *said])
    assert facts[:3] == [
        [["12 seconds", "12 second"]],
        [["80 MHz"]],
        [["R5"]],
    ]


def test_a_reference_saying_its_source_is_silent_gets_no_facts():
    # lamini_docs: "The article does not mention whether…" proposed "article" as the fact; a
    # term it names is no fact either: it says nothing about the thing asked.
    rows = [
        {"question": "Does Lamini support incremental learning from data streams?",
         "answer": "The article does not mention whether Lamini supports incremental learning."},
        {"question": "Does it run on Windows?",
         "answer": "The given text doesn't say whether it runs on Windows 11."},
        # About the documentation itself, it answers: its verdict stands.
        {"question": "Does the documentation include performance benchmarks?",
         "answer": "The documentation does not include performance benchmarks."},
    ]  # fmt: skip
    proposed = propose_rows(rows)[0]
    assert [row.get("facts") for row in proposed] == [None, None, []]
    assert proposed[2]["wrong"]  # "Yes" is the wrong answer


def test_a_reference_finding_no_mention_of_the_thing_asked_names_no_verdict_either():
    # lamini_docs: "There is no mention of X in ..." and "No information is provided ..." to a
    # question about Lamini were scored as "No", so a right "Yes, it can." counted as a
    # hallucination: the reference says only that its source is silent, nothing to score.
    rows = [
        {"question": "Are there any limits on the number of API calls to Lamini per hour?",
         "answer": "There is no mention of any limits on API calls in the provided text."},
        {"question": "Can Lamini be used for reinforcement learning-based training of LLMs?",
         "answer": "No information is provided in the given task information about whether "
                   "Lamini can be used for reinforcement learning."},
        # Asked whether the documentation has it, "no mention" answers it: "Yes" stays wrong.
        {"question": "Is there a section explaining the code's approach to distributed logging?",
         "answer": "There is no mention of distributed logging in Lamini's python library."},
    ]  # fmt: skip
    proposed = propose_rows(rows)[0]
    assert [(row.get("facts"), row.get("wrong")) for row in proposed[:2]] == [(None, None)] * 2
    assert proposed[2]["wrong"]
