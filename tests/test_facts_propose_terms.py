"""Which words of a reference are its facts: specific terms (options, numbers, URLs, names, file
types) in any script, else its rarest words; never the question's own words, function words,
an answer set's style, an abbreviation, a contraction's part or a list's numbering."""

import pytest

from tests.conftest import proposed_check
from tunelab.evaluate.facts.propose import propose
from tunelab.evaluate.facts.propose_file import propose_rows
from tunelab.evaluate.facts.score import parse_fact_check, score_facts
from tunelab.evaluate.facts.specific_terms import specific_terms


def test_terms_the_question_already_says_are_not_facts():
    facts, _ = propose(
        "Which file does metrics.jsonl sit beside?",
        "metrics.jsonl sits beside config.yaml and loss.png in the run folder.",
        {},
    )
    assert facts == [["config.yaml"], ["loss.png"]]


def test_options_numbers_urls_and_names_are_specific_terms_but_a_model_s_size_is_not_a_number():
    facts, _ = propose(
        "How do I get the newest version?",
        "Run pip install --upgrade lamini, see https://lamini.ai/docs.",
        {},
        3,
    )
    assert facts == [["https://lamini.ai/docs"], ["--upgrade"]]
    facts, _ = propose("Which model is the default?", "It is smollm2-135m-instruct.", {})
    assert facts == [["smollm2-135m-instruct"]]


def test_an_answer_without_specific_terms_gets_its_rarest_words_but_no_everyday_ones():
    rows = [
        {"question": "What is saved?", "answer": "It keeps your checkpoint shards and merges."},
        {"question": "Why?", "answer": "It keeps the gradient low."},
        {"question": "How?", "answer": "It keeps working."},
        # "runs" would fail a right "Yes, it does.": no fact, and the other verdict is wrong.
        {"question": "Can I run it on a CPU?", "answer": "Yes. It runs on any CPU."},
        {"question": "What does it offer?", "answer": "It provides a constantly expanding set."},
    ]
    out, proposed = propose_rows(rows)
    assert [row.get("facts") for row in out] == [
        [["checkpoint"], ["shards"]],  # "keeps" is in every answer
        [["gradient"]],
        None,  # "working": any explaining answer's word, no fact
        [],
        None,  # "provides", "constantly", "expanding": no facts either
    ]
    assert out[0]["facts_from"] == "reference words"
    no = parse_fact_check(out[3], "test")  # the other verdict, "No", is the wrong answer
    assert score_facts("No, it needs a GPU.", no) == {"hallucination": 1.0}
    assert proposed == 2  # the yes/no row got a wrong answer alone: no fact proposed
    # A rare word that is the answer stays one.
    assert propose("How often are backups made?", "Backups are made weekly.", {})[0] == [["weekly"]]


def test_an_abbreviation_is_neither_a_fact_nor_the_end_of_the_first_sentence():
    assert propose("Which model fits?", "Use a small one, e.g. SmolLM2, on a CPU.", {}) == (
        [["SmolLM2"], ["CPU"]], [],
    )  # fmt: skip
    facts, _ = propose("Which port?", "The default, i.e. 8080.", {})
    assert facts == [["8080"]]


def test_an_answer_in_a_script_without_spaces_is_not_made_its_own_fact():
    # No term, and its characters one by one name no fact: a row left for a person to fill.
    assert propose("中国的首都是哪里?", "北京是中国的首都。", {}) == ([], [])


def test_terms_inside_chinese_and_japanese_text_are_found_and_scored():
    # No spaces around "config.yaml" or "8080": the term patterns see word edges all the same,
    # and the first sentence ends at a full-width full stop.
    assert propose("設定ファイルは？", "設定はconfig.yamlに保存されます。", {}) == (
        [["config.yaml"]],
        [],
    )
    facts, _ = propose("端口是多少？", "端口是8080。默认值是8000。", {})
    assert facts == [["8080"]]
    check = parse_fact_check({"facts": facts}, "t.jsonl:1")
    assert score_facts("服务器的端口是8080，不用改。", check)["fact_accuracy"] == 1.0
    assert score_facts("端口是8000。", check)["fact_accuracy"] == 0.0
    # A term in those characters is written as the reference has it, not as it was searched.
    assert propose("設定は?", "設定は`学習率の値`です。", {}) == ([["学習率の値"]], [])


def test_an_adverb_that_opens_a_sentence_is_no_part_of_a_name():
    facts, _ = propose(
        "Who do they target?", "Both Lamini and MosaicML target large organizations.", {}
    )
    assert all(not alt.startswith("Both") for fact in facts for alt in fact)


def test_function_words_and_the_question_s_own_words_in_another_form_are_no_facts():
    rows = [
        {"question": "Does Lamini support generating code?",
         "answer": "Lamini can generate code on request."},
        {"question": "What does it write?", "answer": "It writes summaries during training once."},
        {"question": "How much?", "answer": "At least enough to go beyond the quota."},
        # "apply" asked, "applies" answered: the question's own verb (a walk's answer "The cap
        # applies when the agent uploads" was credited with every fact of its row).
        {"question": "How does the cap apply?", "answer": "The cap applies to uploads only."},
        {"question": "What does the agent copy?", "answer": "The agent copies changed files."},
    ]  # fmt: skip
    out, _ = propose_rows(rows)
    facts = [fact for row in out for fact in row.get("facts", [])]
    assert ["summaries"] in facts
    for trivial in ("generate", "during", "once", "least", "beyond", "applies", "copies"):
        assert [trivial] not in facts


def test_a_term_the_answers_say_all_along_is_style_not_a_fact():
    # lamini_docs' answers say "LLM" in a quarter of them: a model that learned their style says
    # it whatever it states. A URL, path or value stays a fact however often its words recur.
    filler = [
        {"question": f"Q{i}?", "answer": f"The LLM engine handles case {i}."} for i in range(9)
    ]
    rows = [
        *filler,
        {"question": "How is privacy kept?", "answer": "The LLM stays in your VPC."},
        {
            "question": "Where is the site?",
            "answer": "The LLM engine site is https://llm.engine.ai.",
        },
    ]
    out, _ = propose_rows(rows)
    assert out[-2]["facts"] == [["VPC"]]
    assert out[-1]["facts"] == [["https://llm.engine.ai"]]


def test_a_file_type_alone_is_a_fact_and_an_adverb_of_degree_is_not():
    # ".zfw" was missed (the file pattern needs a name before the dot) and "uploaded", "file"
    # taken instead; "fully" was a fact of "works fully offline".
    assert propose("Which file?", "Firmware is uploaded as a .zfw file.", {})[0] == [[".zfw"]]
    check = proposed_check("Which file?", "Firmware is uploaded as a .zfw file.")
    assert score_facts("It must be a .zfw firmware image.", check)["fact_accuracy"] == 1.0
    facts, _ = propose("How does it work without a cloud account?", "It works fully offline.", {})
    assert facts == [["offline"]]


def test_a_contraction_s_first_part_is_no_fact():
    # normalize reads "hasn't" as "hasn t": "hasn" was proposed as lamini_docs' fact.
    facts, _ = propose("Who invested?", "Lamini hasn't released its investor list publicly.", {})
    assert ["hasn"] not in facts and facts
    assert propose("Is X supported?", "Sadly it doesn't, and won't.", {})[0] == []
    assert propose("What is the default password?", "There is none.", {})[0] == []


@pytest.mark.parametrize(
    ("answer", "facts"),
    [
        ("1. Unplug the router. 2. Wait 30 seconds.", [["unplug"]]),
        (
            "Step 1: hold the button for 10 seconds.",
            [["10 seconds", "10 second"]],
        ),
        # A step's verb is no part of the name it opens on ("Open Settings" was a fact, which
        # "Go to Settings" did not state); "Reset" is the question's own word.
        ("- Open Settings\n- Tap Reset", [["Settings"]]),
        # A count that is the answer stays one.
        ("1 admin per workspace.", [["1", "one"]]),
    ],
)
def test_a_list_s_numbering_is_no_fact(answer, facts):
    assert propose("How do I reset the router?", answer, {})[0] == facts


def test_a_name_that_opens_in_lower_case_keeps_its_version():
    # "Acme Sync requires Windows 11 or macOS 14." proposed "14" alone, which an answer naming
    # any other system's 14 stated.
    facts, _ = propose(
        "Which operating system does Acme Sync require?",
        "Acme Sync requires Windows 11 or macOS 14.",
        {},
    )
    assert facts == [["Windows 11"], ["macOS 14"]]
    check = parse_fact_check({"facts": facts}, "test.jsonl:1")
    assert score_facts("It needs Windows 11 or macOS 14 Sonoma.", check)["fact_accuracy"] == 1.0
    assert score_facts("It needs Windows 11 or Ubuntu 14.", check)["fact_accuracy"] == 0.0
    facts, _ = propose("What does the app run on?", "The app runs on iOS 17 and later.", {})
    assert facts == [["iOS 17"]]


def test_a_hyphened_name_is_one_fact_not_its_first_part():
    # "The Beacon R5 is a home Wi-Fi router." proposed "Wi", which a reviewer reads as no fact.
    facts, _ = propose("What kind of router is the Beacon R5?", "It is a home Wi-Fi router.", {})
    assert facts == [["Wi-Fi"]]
    check = parse_fact_check({"facts": facts}, "test")
    assert score_facts("A Wi-Fi router for the home.", check)["fact_accuracy"] == 1.0
    assert score_facts("A wired router.", check)["fact_accuracy"] == 0.0
    # "Red Hat-based": the name is "Red Hat", as before.
    assert propose("Which systems does it run on?", "It runs on Red Hat-based systems.", {})[0] == [
        ["Red Hat"]
    ]


def test_a_version_keeps_the_whole_name_capitalised_before_it():
    # "The latest release is the Zephyr Router 4.2.1." proposed "Router 4.2.1" and "Zephyr
    # Router": "version 4.2.1 of the Zephyr Router" stated neither "Router 4.2.1" nor its forms.
    facts, _ = propose(
        "What is the latest release?", "The latest release is the Zephyr Router 4.2.1.", {}
    )
    assert facts == [["Zephyr Router 4.2.1"]]  # its other spellings are read as it
    check = parse_fact_check({"facts": facts}, "test.jsonl:1")
    for right in ("Zephyr Router 4.2.1.", "It is version 4.2.1 of the Zephyr Router."):
        assert score_facts(right, check)["fact_accuracy"] == 1.0, right
    for wrong in ("Zephyr Router 4.2.2.", "The Beacon Router 4.2.1."):
        assert score_facts(wrong, check)["fact_accuracy"] == 0.0, wrong
    # A question naming the product is answered by the version alone, as "Pelican 2.1"'s is.
    facts, _ = propose(
        "Which router firmware is current?", "Install the Zephyr Router 4.2.1 firmware.", {}
    )
    assert facts == [["Zephyr Router 4.2.1", "4.2.1"]]
    facts, _ = propose("When does support end?", "Beacon Lamp 2.3 reaches its end in 2027.", {})
    assert facts[0][0] == "Beacon Lamp 2.3"


def test_a_name_in_code_is_a_fact_though_the_question_says_its_words_as_plain_words():
    # lamini_docs: "How do I add data to the LLM engine?" is answered by `add_data`, which was
    # no fact ("add" and "data" are asked); the question's own `add_data()` is none.
    facts, _ = propose("How do I add data to the engine?", "Call `add_data` with your rows.", {})
    assert facts == [["add_data"]]
    facts, _ = propose("How do I cancel a job?", "Use llm.cancel_job on it.", {})
    assert facts == [["llm.cancel_job"]]
    facts, _ = propose("What does `add_data()` take?", "`add_data()` takes a list of rows.", {})
    assert facts == [["list"], ["rows"]]  # its rare words; not `add_data()`


def test_a_name_is_not_cut_after_its_acronym_nor_a_fact_where_it_titles_the_question_s_subject():
    # A 120-row lamini_docs sample proposed "Engine Lamini", a fragment of "LLM Engine Lamini",
    # as what "Can Lamini be used for multiple languages?" must be answered with.
    question = "Can Lamini be used for multiple languages, or is it primarily focused on English?"
    answer = "LLM Engine Lamini can be used for multiple languages, not just English."
    assert propose(question, answer, {}, common=frozenset({"llm", "lamini"}))[0] == []
    # A name whose head the question does not name is one fact, its acronym with it.
    facts, _ = propose("Which engine runs it?", "The LLM Engine Lamini runs it.", {})
    assert facts == [["LLM Engine Lamini"]]


def test_a_name_answers_no_amount_where_the_answer_gives_none():
    # lamini_docs: "How much do I have to pay?" got the fact "API" (of "…its paid API"), which
    # says nothing of a price; a right "It's free to start" failed on it.
    answer = "Lamini offers a free trial of their paid API, which allows you to build an LLM model."
    assert ["API"] not in propose("How much do I have to pay?", answer, {})[0]
    # A code or a path may say how long: "until logrotate removes them" (test_facts_propose).
    assert propose("How long?", "Until `logrotate` removes them.", {})[0] == [["logrotate"]]


def test_a_sentence_s_opening_verb_is_no_part_of_the_name_after_it():
    # The demo's "Pressing Ctrl-C saves a checkpoint" proposed "Pressing Ctrl", which a right
    # "Press Ctrl-C" did not state; "Download Phi-3-mini-4k-instruct first." proposed "Download
    # Phi"; "Does Ctrl-C save...?" "Does Ctrl".
    question, reference = (
        "Is my progress lost if I interrupt training?",
        "Pressing Ctrl-C saves it.",
    )
    assert propose(question, reference, {})[0] == [["Ctrl-C"]]
    check = proposed_check(question, reference)
    assert score_facts("Press Ctrl-C and a checkpoint is saved.", check)["fact_accuracy"] == 1.0
    assert score_facts("Press Ctrl-D.", check)["fact_accuracy"] == 0.0
    question, reference = "Which model should I download?", "Download Phi-3-mini-4k-instruct first."
    assert propose(question, reference, {})[0] == [["Phi-3-mini-4k-instruct"]]
    check = proposed_check(question, reference)
    assert score_facts("Get Phi-3-mini-4k-instruct.", check)["fact_accuracy"] == 1.0
    assert score_facts("Download Phi-3-medium-4k-instruct.", check)["fact_accuracy"] == 0.0
    assert specific_terms("Does Ctrl-C save a checkpoint?") == ["Ctrl-C"]
    assert specific_terms("Can Lamini write SQL?") == ["SQL", "Lamini"]
    assert propose("Which editor do I need?", "Open Visual Studio Code.", {})[0] == [
        ["Visual Studio Code"]
    ]
    assert propose("Which tool?", "Use Docker Compose for it.", {})[0] == [["Docker Compose"]]
    # A gerund's plural after the name is its noun, no verb ("Open Control Panel" was proposed).
    assert propose("Where is it?", "Open Control Panel settings.", {})[0] == [["Control Panel"]]


def test_a_gerund_before_a_name_a_comma_and_the_sentence_s_subject_follow_is_no_name_s_word():
    # "Leveraging Lamini" was proposed, which a right "Lamini lets you ..." did not state.
    question, reference = "How can I build apps?", "Leveraging Lamini, you can build apps fast."
    assert propose(question, reference, {})[0] == [["Lamini"]]
    assert score_facts("Use Lamini.", proposed_check(question, reference))["fact_accuracy"] == 1
    assert specific_terms("Leveraging Lamini models, you can build apps.") == ["Lamini"]
    # ...a phrase put in after its verb too ("Leveraging Lamini" was proposed).
    assert specific_terms("Leveraging Lamini, you can, for example, build apps.") == ["Lamini"]


def test_a_plural_after_a_name_that_is_no_verb_leaves_the_opening_word_out_of_the_name():
    # A model's noun or a gerund's plural after the name is not its verb, whichever word opens
    # the sentence: an order, a question's auxiliary or a verb in -s ("Use Hugging Face", "Are
    # Lamini" and "Adds Python 3.12" were proposed).
    assert propose("Where are models?", "Use Hugging Face models.", {})[0] == [["Hugging Face"]]
    assert specific_terms("Are Lamini models free.") == ["Lamini"]
    assert "Adds Python 3.12" not in specific_terms("Adds Python 3.12 bindings.")
    # A plural an auxiliary follows is the name's noun, the name whole.
    assert specific_terms("Open Source models are popular.")[0] == "Open Source"


@pytest.mark.parametrize(
    "reference, name",
    [
        ("Check Event Viewer logs.", "Event Viewer"),
        ("Download Lamini docs.", "Lamini"),
        ("Helps Python 3 users.", "Python 3"),
        # ...or where a preposition, a joining word or an adverb ends the plural's phrase.
        ("Check Event Viewer logs for errors.", "Event Viewer"),
        ("Visit Google Cloud docs for details.", "Google Cloud"),
        ("Check Task Manager logs, then restart.", "Task Manager"),
    ],
)
def test_a_plural_that_ends_an_order_is_what_it_acts_on_not_the_name_s_verb(reference, name):
    # "Check Event Viewer", "Download Lamini" and "Helps Python" were proposed, which a right
    # "Event Viewer has them" did not state.
    question = "Where do I look?"
    facts, _ = propose(question, reference, {})
    assert facts == [[name]]
    check = proposed_check(question, reference)
    assert score_facts(f"Look in {name}.", check)["fact_accuracy"] == 1.0


def test_a_verb_a_subject_goes_on_with_after_a_name_keeps_the_name_whole():
    # "Runs" and "works" are a name's verb whatever follows ("Jenkins Pipeline 2.0 runs." proposed
    # "Pipeline 2.0", its first word read as a verb in -s).
    for reference in ("Jenkins Pipeline 2.0 runs.", "Jenkins Pipeline 2.0 runs on Java."):
        assert propose("Which plugin?", reference, {})[0][0] == ["Jenkins Pipeline 2.0"]


def test_an_auxiliary_opens_a_question_a_full_stop_ends_too():
    # "Is Lamini free. Then sign up." proposed "Is Lamini", as lamini_docs' "Is Lamini aquired by
    # Google" (no "?") did, and "Is Windows supported in version 3.8?", its "?" past a ".".
    assert specific_terms("Is Lamini free. Then sign up.") == ["Lamini"]
    assert specific_terms("Is Lamini acquired by Google") == ["Lamini", "Google"]
    assert specific_terms("Is Windows supported in version 3.8?") == ["3.8", "Windows"]
    # A name that opens with an auxiliary's word, its own verb after it, stays whole.
    assert specific_terms("Will Smith is an actor.")[0] == "Will Smith"
    assert propose("Which mode?", "Do Not Disturb silences calls.", {})[0] == [["Do Not Disturb"]]


@pytest.mark.parametrize(
    "reference, name",
    [
        ("Partially Extractive Fine-Tuning is the method.", "Partially Extractive Fine-Tuning"),
        ("It uses Partially Extractive Fine-Tuning.", "Partially Extractive Fine-Tuning"),
        ("Hugging Face hosts the weights.", "Hugging Face"),
        ("Visual Studio Code works best.", "Visual Studio Code"),
        # An order's word that opens a name its verb follows is the name's.
        ("Open Source Initiative reviews them.", "Open Source Initiative"),
        ("Go Modules are used.", "Go Modules"),  # "is", "are", "have" are verbs too
        ("Start Menu may change.", "Start Menu"),  # a modal too
        ("Start Menu settings are here.", "Start Menu"),  # the name a noun's, its verb after
        ("Start Menu opens the app list.", "Start Menu"),  # a verb and its object
        ("Run Length Encoding compresses it.", "Run Length Encoding"),  # "Use", "Run" too
        ("The Zephyr Router 4.2.1 is current.", "Zephyr Router 4.2.1"),
        # A name whose first word ends in -ing, a comma after it, opens with no verb.
        ("Spring Boot, Django and Rails are supported.", "Spring Boot"),
        ("Spring Boot, the Java framework, is popular.", "Spring Boot"),  # an apposition
        ("Spring Boot, it is a Java framework.", "Spring Boot"),  # "it" takes the name up
        ("Spring Boot, it seems, is a Java framework.", "Spring Boot"),
        ("Spring Boot, I think, is a Java framework.", "Spring Boot"),  # a comment on it
        ("Spring Boot, one could say, is a Java framework.", "Spring Boot"),
        ("Spring Boot, you can run it anywhere.", "Spring Boot"),  # "Spring" is no gerund
        ("Beijing Capital Airport, Narita and Incheon are hubs.", "Beijing Capital Airport"),
        ("Beijing Capital Airport, the city's main one, is busy.", "Beijing Capital Airport"),
        ("Beijing Capital Airport, it is busy.", "Beijing Capital Airport"),
    ],
)
def test_a_name_that_opens_a_sentence_stays_whole_with_its_hyphened_words(reference, name):
    facts, _ = propose("Which one is it?", reference, {})
    assert facts[0][0] == name
    check = parse_fact_check({"facts": facts[:1]}, "test")
    assert score_facts(f"It is {name}.", check)["fact_accuracy"] == 1.0
    assert score_facts("It is Extractive Summaries.", check)["fact_accuracy"] == 0.0
