"""Error analysis: each weak answer gets categories with reasons, and similar training data."""

from pathlib import Path

from tunelab.data.retrieval import BM25
from tunelab.data.templates import Example
from tunelab.evaluate.analysis import analyse, examples_of
from tunelab.evaluate.metrics import score_texts
from tunelab.evaluate.report import to_html, to_markdown


def row(question: str, reference: str, answer: str, finish: str = "stop") -> dict:
    return {
        "question": question,
        "reference": reference,
        "answer": answer,
        "finish_reason": finish,
        "completion_tokens": 64,
        "scores": score_texts(answer, reference),
    }


TRAINING = [
    Example.qa(
        "How do I install tunelab?",
        "Run pip install tunelab in a virtual environment.",
        "train.jsonl:1",
    ),
    Example.qa(
        "What is a LoRA adapter?",
        "Small trainable matrices added to a frozen model.",
        "train.jsonl:2",
    ),
    Example.qa("Where do runs go?", "Into runs/<name>/ with config.yaml.", "train.jsonl:3"),
]


def categories(r: dict) -> set[str]:
    return {e["category"] for e in r["errors"]}


def test_each_category_is_found_with_a_reason():
    rows = [
        row("How do I install tunelab?", "Run pip install tunelab.", ""),
        row(
            "How do I install tunelab?",
            "Run pip install tunelab.",
            "Run pip install tunelab and then " + "keep going and going " * 10,
            finish="length",
        ),
        row(
            "What is a LoRA adapter?",
            "Small trainable matrices.",
            "It is a smal trainabel matrix thing.",
        ),
        row(
            "Where do runs go?",
            "Into runs/<name>/.",
            "Bananas are yellow fruit grown in warm countries.",
        ),
        row("Where do runs go?", "Into runs/<name>/.", "Into runs/<name>/."),
    ]
    # Training rows asking these very questions would be leaks, which training drops: asked
    # another way here.
    training = [
        Example.qa(ex.question.replace("do I", "can I").replace("What is", "What's"), ex.answer,
                   ex.source)
        for ex in TRAINING
    ]  # fmt: skip
    analysis = analyse(rows, training)
    assert categories(rows[0]) == {"empty"}
    assert {"cut_off", "too_long", "repetitive"} <= categories(rows[1])
    spelled = next(e for e in rows[2]["errors"] if e["category"] == "misspelling")
    assert "smal" in spelled["reason"] and "trainabel" in spelled["reason"]
    assert "off_topic_answer" in categories(rows[3])
    assert rows[4]["errors"] == []  # a right answer is not analysed
    assert analysis.counts["empty"] == 1
    assert examples_of(analysis, "misspelling")[0]["closest"][0]["source"] == "train.jsonl:2"


def test_words_of_the_training_data_are_not_misspellings():
    r = row("Which tool?", "Use the CLI.", "Use tunelab finetuning with qlora.")
    analyse([r], [Example.qa("q", "tunelab finetuning qlora", "t:1")])
    assert "misspelling" not in categories(r)


def test_words_the_dictionary_lacks_but_engineers_write_are_not_misspellings():
    # A walk's base answers were flagged for "esports" and "superset", its own set for "obj".
    r = row("Which tool?", "Use the CLI.", "A superset of esports args: pass obj and kwargs.")
    analyse([r], [])
    assert "misspelling" not in categories(r)
    typo = row("Which tool?", "Use the CLI.", "A supreset of the argz.")
    analyse([typo], [])
    assert "misspelling" in categories(typo)


def test_addresses_code_a_word_cut_off_and_contractions_are_no_errors():
    # A URL's path ("installguide"), a model id ("EleutherAI" as "eleuther") and the word a reply
    # cut off at its token limit ends in ("`crit") were misspellings; "don't" and "they'll" gave
    # the topic words "don", "t", "ll", and an on-topic answer read as off-topic.
    linked = row("Where is the quickstart?", "See the docs.",
                 "The guide is at https://docs.example.com/quickstart/installguide and uses "
                 "EleutherAI/pythia-410m with `tokenizr.fit()`.")  # fmt: skip
    cut = row("What are the criteria?", "The criteria are listed.", "The criteria are the `crit",
              finish="length")  # fmt: skip
    spelt = row("Is it free?", "No, you pay for it.", "It's not free, you don't get it without "
                "paying; they'll charge you.")  # fmt: skip
    analyse([linked, cut, spelt], [])
    for r in (linked, cut, spelt):
        assert "misspelling" not in categories(r), r["errors"]
    assert "off_topic_answer" not in categories(spelt), spelt["errors"]
    typo = row("Is it free?", "No.", "You wil pay, it is not fre", finish="length")
    analyse([typo], [])
    assert "misspelling" in categories(typo)  # "wil" is still one; "fre", cut off, is not said


def test_field_words_and_other_test_rows_words_are_not_misspellings_without_training_data():
    # A base model has no training data: the field's words and the test set's own words count.
    rows = [
        row("Which file?", "The lamini dataset.", "The dataset has tokenizer settings."),
        row("How to serve?", "Use tunelab.", "Use vLLM or llama.cpp or Ollama on safetensors."),
        row("Where?", "On our servers.", "Our blockchain app runs on Kubernetes with PostgreSQL."),
        row("What is it?", "Lamini trains language models.", "A lamini thing, misspeled."),
    ]
    analyse(rows)
    assert "misspelling" not in categories(rows[0]) | categories(rows[1]) | categories(rows[2])
    spelled = next(e for e in rows[3]["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: misspeled"


def test_accented_words_are_not_cut_into_misspelled_fragments():
    r = row("What is in the cup?", "Coffee.", "A café latte, naïve as Schrödinger's cat.")
    analyse([r], TRAINING)
    assert "misspelling" not in categories(r)  # not "caf", "schr", "dinger"


def test_a_long_answer_about_the_question_is_not_off_topic():
    sky = row(
        "What color is the sky on a clear day?",
        "Blue.",
        "The sky on a clear day is often described as a deep, rich shade of blue.",
    )
    fruit = row("What color is the sky?", "Blue.", "Bananas are yellow fruit.")
    analyse([sky, fruit])
    assert "off_topic_answer" not in categories(sky) and "off_topic_answer" in categories(fruit)
    reason = next(e["reason"] for e in fruit["errors"] if e["category"] == "off_topic_answer")
    assert "training" not in reason  # no training data was given to compare with


def test_bm25_ranks_the_matching_document_first():
    index = BM25(["cats and dogs", "install tunelab with pip", "dogs bark"])
    assert index.top("how to install tunelab")[0].index == 1
    assert index.top("nothing matches zzz") == []


def test_reports_show_counts_examples_and_a_chart(tmp_path: Path):
    rows = [row("Where do runs go?", "Into runs/<name>/.", ""), row("Q2?", "yes", "")]
    analysis = analyse(rows, TRAINING)
    markdown = to_markdown(analysis)
    assert "| empty | 2 |" in markdown and "Where do runs go?" in markdown
    page = to_html(analysis)
    assert "<svg" in page and "<script" not in page and "http" not in page.split("<svg")[0]


def test_terms_of_the_question_and_contractions_are_not_misspellings():
    # Known words count whole: "NumPy" is not cut to "num", nor "gpt4" to "gpt"; the dictionary
    # knows "isn't" but not its fragment "isn".
    r = row("Is NumPy like gpt4?", "No.", "NumPy isn't gpt4, it doesn't generate a misspeled text.")
    analyse([r])
    spelled = next(e for e in r["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: misspeled"


def test_a_list_with_bullets_is_not_repetitive():
    listing = "Set:\n- the number of epochs\n- the number of steps\n- the number of tokens"
    loop = "Set: the number of epochs the number of epochs the number of epochs"
    r, again = row("What to set?", "Epochs.", listing), row("What to set?", "Epochs.", loop)
    analyse([r, again])
    assert "repetitive" not in categories(r) and "repetitive" in categories(again)


def test_examples_per_category_sets_how_many_rows_the_reports_show():
    # The setting was accepted and never read: the reports always showed 2.
    from tunelab.evaluate.analysis import AnalysisConfig, examples_of

    rows = [row(f"Where do runs go {i}?", "Into runs/.", "x " * 80, "length") for i in range(4)]
    for wanted in (1, 3):
        analysis = analyse(
            [dict(r) for r in rows], TRAINING, AnalysisConfig(examples_per_category=wanted)
        )
        category = next(iter(analysis.counts))
        assert len(examples_of(analysis, category)) == wanted


# Chinese and Japanese put no spaces between words: a long answer was one "word" (never too
# long) and a phrase said over and over one word (never repetitive).
ZH_REFERENCE = "学习率决定每一步参数更新的大小。"
ZH_ANSWER = "它控制模型每次更新权重的幅度。"
JA_REFERENCE = "学習率は更新の大きさを決めます。"
JA_ANSWER = "学習率は重みを変える幅のことです。"


def test_chinese_and_japanese_answers_five_times_the_reference_are_too_long():
    for reference, answer in [(ZH_REFERENCE, ZH_ANSWER), (JA_REFERENCE, JA_ANSWER)]:
        longer = "".join(answer[:-1] + f"{i}。" for i in range(5))
        usual, long = row("学习率?", reference, answer), row("学习率?", reference, longer)
        analyse([usual, long])
        assert "too_long" not in categories(usual) and "too_long" in categories(long)


def test_a_chinese_or_japanese_phrase_said_over_and_over_is_repetitive():
    for reference, answer, phrase in [
        (ZH_REFERENCE, ZH_ANSWER, "这个模型很好用"),
        (JA_REFERENCE, JA_ANSWER, "ありがとうございます"),
    ]:
        normal, loop = row("学习率?", reference, answer), row("学习率?", reference, phrase * 4)
        analyse([normal, loop])
        assert "repetitive" not in categories(normal) and "repetitive" in categories(loop)


def test_a_missed_fact_is_said_to_be_in_the_training_answers_or_in_none():
    from tunelab.evaluate.facts import parse_fact_check
    from tunelab.evaluate.scores import fact_fields

    r = row("Where does a run end up?", "Into runs/<name>/ with config.yaml.", "Somewhere.")
    check = parse_fact_check({"facts": [["config.yaml"], ["status.json"], ["re:runs/"]]}, "t:1")
    r.update(fact_fields(r["answer"], check))
    analysis = analyse([r], TRAINING)
    # A regex matches answers about other things too ("re:not supported" found a row about
    # another fact, "taught and not learned"): it is not looked up.
    assert r["missed_facts_taught"] == [1, 0, None]
    reason = next(e["reason"] for e in r["errors"] if e["category"] == "missed_facts")
    assert reason == (
        "does not state: config.yaml (in 1 training answer); status.json (in no training "
        "answer); re:runs/ (a pattern: not looked up in the training answers)"
    )
    report = to_markdown(analysis)
    assert "Of the 2 facts the answers left out, 1 is stated in the training answers" in report
    assert "1 of them in no training answer: never taught" in report
    assert "status.json (in no training answer)" in report
    # Without training data nothing is said either way, and a stale count goes.
    analyse([r])
    assert "missed_facts_taught" not in r and "(in" not in to_markdown(analyse([r]))


def test_a_missed_fact_is_found_in_training_answers_by_any_of_its_alternatives():
    from tunelab.evaluate.facts import parse_fact_check
    from tunelab.evaluate.scores import fact_fields

    r = row("Do I need a GPU?", "No, a CPU is enough.", "It runs.")
    check = parse_fact_check({"facts": [["GPU", "graphics card"], ["CPU"]]}, "t:1")
    r.update(fact_fields(r["answer"], check))
    training = [
        Example.qa("q", "You need a graphics card.", "train.jsonl:1"),
        Example.qa("q", "A GPU, a graphics card, helps.", "train.jsonl:2"),
    ]
    analyse([r], training)
    assert r["missed_facts"] == ["GPU", "CPU"] and r["missed_facts_taught"] == [2, 0]


def test_a_training_row_that_asks_the_test_question_taught_nothing_and_hindi_repeats_count():
    from tunelab.evaluate.analysis import AnalysisConfig, repeated
    from tunelab.evaluate.facts import parse_fact_check
    from tunelab.evaluate.scores import fact_fields

    r = row("Where do runs go?", "Into runs/<name>/ with config.yaml.", "Somewhere.")
    r.update(fact_fields(r["answer"], parse_fact_check({"facts": [["config.yaml"]]}, "t:1")))
    # TRAINING's third row asks this very question: training drops it as a leak, so it neither
    # taught the fact nor is shown as the closest training example (it is the closest of all).
    near = Example.qa("Where do checkpoints go?", "Into runs/<name>/checkpoints/.", "train.jsonl:4")
    analysis = analyse([r], [*TRAINING, near])
    assert r["missed_facts_taught"] == [0]
    shown = {
        hit["question"] for c in analysis.counts for ex in examples_of(analysis, c)
        for hit in ex["closest"]
    }  # fmt: skip
    assert shown == {"Where do checkpoints go?"}
    hindi = "दिल्ली भारत की राजधानी है। दिल्ली भारत की राजधानी है।"
    assert "appears 2 times" in repeated(hindi, AnalysisConfig())


def test_an_answer_that_states_every_fact_is_not_an_error_whatever_its_token_f1():
    from tunelab.evaluate.facts import parse_fact_check
    from tunelab.evaluate.scores import fact_fields

    answer = "No. It runs on CPU. It runs on CPU. It runs on CPU. It runs on CPU."
    stated = row("Is a GPU required?", "No, it runs on CPU.", answer)
    stated.update(fact_fields(answer, parse_fact_check({"facts": [["CPU"]]}, "t:1")))
    # A row that names only wrong answers has no facts to state: token F1 still judges it.
    unfactual = row("Is a GPU required?", "No, it runs on CPU.", "Bananas are yellow fruit.")
    unfactual.update(fact_fields(unfactual["answer"], parse_fact_check({"wrong": ["GPU"]}, "t:2")))
    analysis = analyse([stated, unfactual])
    assert stated["scores"]["token_f1"] < 0.5 and stated["facts"]["fact_accuracy"] == 1.0
    assert stated["errors"] == [] and "repetitive" not in analysis.counts
    assert categories(unfactual) == {"off_topic_answer"}


def test_a_fact_less_answer_at_the_weak_f1_is_close_enough_not_to_be_analysed():
    said_thrice = " ".join(["The LoRA rank r defaults to 16."] * 3)
    r = row("What is the default LoRA rank?", "The LoRA rank r defaults to 16.", said_thrice)
    analyse([r])
    assert r["scores"]["token_f1"] == 0.5 and r["errors"] == []


def test_french_and_german_answers_are_spelled_by_their_own_dictionary_and_swedish_by_none():
    french = row(
        "Comment exporter le modèle ?",
        "Utilisez tunelab export RUN.",
        "Pour exporter le modèle, lancez la commande tunelab export avec le dossier du run.",
    )
    german = row(
        "Wie starte ich das Training?",
        "Mit tunelab train config.yaml.",
        "Man ruft einfach den Befehl tunelab train auf; danach liegen die Gewichte im Ordner.",
    )
    french_typo = row(
        "Comment exporter le modèle ?",
        "Utilisez tunelab export RUN.",
        "Lancez la comande tunelab export avec le dossier du run.",
    )
    swedish = row(
        "Vad heter huvudstaden?",
        "Stockholm.",
        "Det är huvudstaden i Sverige och den ligger vid havet.",
    )
    analyse([french, german, french_typo, swedish])
    assert french["errors"] == []  # the English dictionary called it misspelled
    assert "misspelling" not in categories(german)
    spelled = next(e for e in french_typo["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: comande"
    assert "misspelling" not in categories(swedish)


def test_no_dictionary_is_loaded_for_answers_with_no_word_to_look_up(monkeypatch):
    # Loading each language's dictionary takes seconds; an answer of the data's own words, or in
    # Chinese, has nothing to look up in any.
    from tunelab.evaluate import spelling

    loaded = []
    monkeypatch.setattr(spelling, "spelling_dictionary", lambda text: loaded.append(text))
    rows = [
        row("What is a LoRA adapter?", "Small trainable matrices.", "Trainable matrices added."),
        row("怎么导出模型？", "用 tunelab export。", "运行导出命令就行了。"),
    ]
    analyse(rows, TRAINING)
    assert loaded == [] and all("misspelling" not in categories(r) for r in rows)


def test_each_weak_answer_is_shown_with_its_own_closest_training_rows():
    # Ranked over all failing questions together, the words several shared ("run", "model")
    # won: the walk's "If model.name is left unset..." got rows about runs, not its own
    # near-copy.
    training = [
        Example.qa("If I leave model.name unset, what model gets trained?", "SmolLM2.", "t:1"),
        Example.qa("Where does a run keep its model?", "In runs/NAME/model.", "t:2"),
        Example.qa("How do I resume a run of a model?", "Run train again.", "t:3"),
        Example.qa("What does a run write for the model?", "config.yaml and model/.", "t:4"),
    ]
    rows = [
        row("If model.name is left unset, which model gets trained?", "SmolLM2.", "Bananas."),
        *(
            row(q, "In runs/NAME/model.", "Bananas.")
            for q in ("Where does a run keep the model?", "Which run folder holds a model?",
                      "Does a run save its model?", "Where can I find a run's model?")
        ),
    ]  # fmt: skip
    analysis = analyse(rows, training)
    first, second = examples_of(analysis, "off_topic_answer")
    assert first["question"] == rows[0]["question"]
    assert first["closest"][0]["source"] == "t:1"
    # one list for the category began with t:1 for every row shown
    assert second["closest"][0]["source"] == "t:2"
    assert "closest training (fix or add data here): `t:1`" in to_markdown(analysis)
    assert "<code>t:1</code>" in to_html(analysis)


ZORBLEX = [
    Example.qa("What is the price of the Zorblex Z3?", "The Zorblex Z3 costs $149.", "qa:1"),
    Example.qa("How much is the Zorblex Z3?", "The Zorblex Z3 costs $149.", "qa:2"),
    Example.qa("How long does the Zorblex Z3 take to charge?", "A full charge takes 95 minutes "
               "over USB-C.", "qa:3"),
    Example.qa("What is the Zorblex Z3 battery life?", "The Zorblex Z3 lasts 41 hours on one "
               "charge.", "qa:4"),
]  # fmt: skip


def test_the_training_rows_that_state_a_missed_fact_are_shown_first():
    # BM25 over the question alone matched its only known words, the product's name: the rows
    # shown were about the price, while the three stating "95 minutes" were counted, not shown.
    from tunelab.evaluate.facts import parse_fact_check
    from tunelab.evaluate.scores import fact_fields

    r = row("How quickly does the Zorblex Z3 recharge fully?",
            "A full charge takes 95 minutes over USB-C.", "It lasts 2 hours.")  # fmt: skip
    r.update(fact_fields(r["answer"], parse_fact_check({"facts": [["95 minutes"]]}, "t:1")))
    analysis = analyse([r], ZORBLEX)
    assert r["missed_facts_taught"] == [1]
    (shown,) = examples_of(analysis, "missed_facts")
    assert shown["closest"][0]["source"] == "qa:3"
    # A fact of the same product mixed up (its battery life for its charging time) is wrong,
    # not off topic: no "0% in the closest training examples" from rows about the price.
    assert categories(r) == {"missed_facts"}


def test_without_a_taught_fact_the_reference_answer_finds_the_closest_rows():
    r = row("How quickly does the Zorblex Z3 recharge fully?",
            "A full charge takes 95 minutes over USB-C.", "Bananas are yellow fruit.")  # fmt: skip
    analysis = analyse([r], ZORBLEX)
    (shown,) = examples_of(analysis, "off_topic_answer")
    # The rows about its price share only the product's name, which every row says.
    assert [hit["source"] for hit in shown["closest"]] == ["qa:3", "qa:4"]


LAMINI = [
    Example.qa("Is Lamini free?", "Lamini has a free tier.", "l:1"),
    Example.qa("Which license is Lamini under?", "Lamini is Apache-2.0 licensed.", "l:2"),
    Example.qa("Can I use Lamini offline?", "No, Lamini needs a network connection.", "l:3"),
    Example.qa("Who makes Lamini?", "Lamini is made by Lamini AI.", "l:4"),
]


def closest_sources(question: str, reference: str, training: list[Example]) -> list[str]:
    analysis = analyse([row(question, reference, "Bananas are yellow fruit.")], training)
    return [hit["source"] for hit in analysis.closest[0]]


def test_a_training_row_that_shares_only_common_words_with_the_question_is_not_closest():
    # Any BM25 score above 0 counted: a word of the phrasing ("use") or one in most of the
    # data's rows ("Lamini", as in nine of ten lamini_docs rows) listed rows on anything else.
    assert closest_sources("Can I use it with all my files?", "Yes.", LAMINI) == []
    assert closest_sources("Does Lamini have a logo?", "Yes, a llama.", LAMINI) == []
    # The rows that share the question's own words are listed, and only those.
    assert closest_sources("Under which license is Lamini released?", "Apache-2.0.", LAMINI) == [
        "l:2"
    ]


def test_each_example_in_the_reports_names_its_test_row():
    # A walk's errors.md listed a cut-off answer by its question alone: which test row (and
    # which predictions line) it was could only be guessed from the text.
    rows = [row("Where do runs go?", "Into runs/<name>/.", ""), row("Q2?", "yes", "")]
    for i, r in enumerate(rows, 1):
        r["source"] = f"test.jsonl:{i}"
    analysis = analyse(rows, TRAINING)
    assert "- **Q:** `test.jsonl:1` Where do runs go?" in to_markdown(analysis)
    assert "<td><code>test.jsonl:2</code> Q2?</td>" in to_html(analysis)


def test_every_answer_that_missed_a_fact_is_listed_with_its_closest_training_rows():
    # The categories show two rows each with their closest training rows; a third row that
    # missed a fact was listed in "Facts, row by row" without any: where to fix it was nowhere.
    asked = [("Which command installs tunelab?", "Run pip install tunelab."),
             ("What does a LoRA adapter add?", "Small trainable matrices."),
             ("In which folder does a run keep config.yaml?", "Into runs/<name>/.")]  # fmt: skip
    rows = []
    for i, (question, reference) in enumerate(asked, 1):
        r = row(question, reference, "I do not know.")
        r |= {"source": f"test.jsonl:{i}", "missed_facts": ["zzq"],
              "facts": {"fact_accuracy": 0.0, "fact_recall": 0.0}}  # fmt: skip
        rows.append(r)
    analysis = analyse(rows, TRAINING)
    assert [ex["source"] for ex in examples_of(analysis, "missed_facts")] == [
        "test.jsonl:1", "test.jsonl:2",
    ]  # fmt: skip
    [third] = [x for x in to_markdown(analysis).splitlines() if x.startswith("- `test.jsonl:3`")]
    assert "closest training: `train.jsonl:3`" in third


def test_a_miss_no_training_row_is_related_to_says_so_when_training_data_is_known():
    # No "closest training" line at all read the same as no training data known: a reader could
    # not tell "add data on this" from "give tunelab errors the data".
    r = row("Does Lamini have a logo?", "Yes, a llama.", "Bananas are yellow fruit.")
    r["source"] = "test.jsonl:1"
    said = "none shares its topic words (add data)"
    analysis = analyse([r], LAMINI)
    assert analysis.closest[0] == []
    assert f"  - closest training: {said}" in to_markdown(analysis)
    assert said in to_html(analysis)
    unknown = analyse([dict(r)], None)
    assert said not in to_markdown(unknown) and said not in to_html(unknown)
