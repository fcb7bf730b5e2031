"""Error analysis and the training data: whether a missed fact was taught (in which training
answers), and the training rows shown closest to each weak answer, or that none is."""

from tests.test_errors_analysis import TRAINING, categories, row
from tunelab.data.example import Example
from tunelab.data.retrieval import BM25
from tunelab.evaluate.analysis import analyse, examples_of
from tunelab.evaluate.report import to_markdown
from tunelab.markdown_page import markdown_page


def test_bm25_ranks_the_matching_document_first():
    index = BM25(["cats and dogs", "install tunelab with pip", "dogs bark"])
    assert index.top("how to install tunelab")[0].index == 1
    assert index.top("nothing matches zzz") == []


def test_a_missed_fact_is_said_to_be_in_the_training_answers_or_in_none():
    from tunelab.evaluate.facts.score import parse_fact_check
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
    from tunelab.evaluate.facts.score import parse_fact_check
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
    from tunelab.evaluate.categories import AnalysisConfig, repeated
    from tunelab.evaluate.facts.score import parse_fact_check
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
    assert "<code>t:1</code>" in markdown_page(to_markdown(analysis), "errors")


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
    from tunelab.evaluate.facts.score import parse_fact_check
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
    assert said in markdown_page(to_markdown(analysis), "errors")
    unknown = analyse([dict(r)], None)
    assert said not in to_markdown(unknown)


def test_a_version_s_digits_match_no_training_row_about_another_number():
    # "4.2.1" reads as the words 4, 2 and 1: a newcomer's missed version was shown beside the
    # row about a 2 GB upload limit, its closest training row by the "2" alone.
    r = row("What is the latest version of Zephyr Router?",
            "The latest version of Zephyr Router is 4.2.1.", "It is version 2.0.")  # fmt: skip
    r |= {"source": "test.jsonl:1", "missed_facts": ["4.2.1"],
          "facts": {"fact_accuracy": 0.0, "fact_recall": 0.0}}  # fmt: skip
    training = [
        Example.qa("How big can a file be in Acme Cloud?", "At most 2 GB.", "train.jsonl:1"),
        Example.qa("What does Acme Cloud Pro cost?", "It costs $8 a month.", "train.jsonl:2"),
    ]
    analysis = analyse([r], training)
    assert analysis.closest[0] == []
    assert "closest training: none shares its topic words (add data)" in to_markdown(analysis)


def test_an_off_topic_question_answered_is_shown_beside_the_rows_that_teach_its_refusal():
    # Five training rows taught the refusal, so its words were too common to be a topic: the
    # unrefused poem was said to have no related training row ("add data").
    refusal = "Sorry, I can only answer questions about Acme products."
    r = row("Can you write me a poem about the sea?", refusal, "The sea is vast and deep.")
    r |= {"source": "test.jsonl:1", "refusal": {"off_topic": True, "refused": False}}
    asked = ["What is the capital of France?", "Who won the 2018 World Cup?", "What is 17 x 23?",
             "How do I fix my brakes?", "Any pancake recipe?"]  # fmt: skip
    training = [Example.qa(q, refusal, f"train.jsonl:{i}") for i, q in enumerate(asked, 1)]
    training.append(Example.qa("What port does it use?", "Port 8443.", "train.jsonl:6"))
    analysis = analyse([r], training)
    assert "not_refused" in analysis.counts
    shown = [hit["source"] for hit in analysis.closest[0]]
    assert shown and all(hit["answer"] == refusal for hit in analysis.closest[0]), shown
    assert "none shares its topic words" not in to_markdown(analysis)


def _forty_rows() -> list[Example]:
    """A newcomer's 40 rows: the Zephyr Router named in 8, a refusal taught to 5, and 27 about
    Acme Cloud and the Beacon lamp."""
    router = [("What port does the Zephyr Router listen on?", "Port 7410."),
              ("How do I reset the Zephyr Router?", "Hold its reset button for 10 seconds."),
              ("What is the Zephyr Router's default address?", "It is 192.168.8.1."),
              ("How many devices can the Zephyr Router serve?", "Up to 64 devices."),
              ("Does the Zephyr Router support WPA3?", "Yes, WPA3 and WPA2."),
              ("What power does the Zephyr Router need?", "A 12 V, 2 A adapter."),
              ("How far does the Zephyr Router reach?", "About 40 metres indoors."),
              ("What bands does the Zephyr Router use?", "2.4 GHz and 5 GHz.")]  # fmt: skip
    refusal = "Sorry, I can only answer questions about Acme products."
    off = ["Write me a poem.", "Who won the World Cup?", "Tell me a joke.", "What is 17 x 23?",
           "Any pancake recipe?"]  # fmt: skip
    cloud = [(f"What does Acme Cloud plan {i} cost?", f"Plan {i} costs ${i * 3} a month.")
             for i in range(1, 14)]  # fmt: skip
    lamp = [(f"What does the Beacon lamp's mode {i} do?", f"Mode {i} dims it to {i * 7}%.")
            for i in range(1, 15)]  # fmt: skip
    asked = [*router, *((q, refusal) for q in off), *cloud, *lamp]
    return [Example.qa(q, a, f"train.jsonl:{i}") for i, (q, a) in enumerate(asked, 1)]


def test_a_product_named_in_a_fifth_of_a_small_set_is_still_its_topic():
    # 8 of 40 rows name the Zephyr Router: over a tenth of the rows, its name was too common to
    # be a topic, and a missed question about the router was said to have no related row.
    training = _forty_rows()
    r = row("How long is the Zephyr Router's warranty?", "Two years.", "Bananas are yellow.")
    r |= {"source": "test.jsonl:1", "missed_facts": ["two years"],
          "facts": {"fact_accuracy": 0.0, "fact_recall": 0.0}}  # fmt: skip
    analysis = analyse([r], training)
    shown = [hit["question"] for hit in analysis.closest[0]]
    assert len(shown) == 3 and all("Zephyr Router" in q for q in shown), shown
    # The refusal's words are a topic too now (5 of 40 rows), but the rows teaching it are no
    # data of an on-topic question: "Acme products" matched them alone.
    r = row("Which Acme products work offline?", "Acme Cloud does not.", "Bananas are yellow.")
    r |= {"source": "test.jsonl:2", "missed_facts": ["acme cloud"],
          "facts": {"fact_accuracy": 0.0, "fact_recall": 0.0}}  # fmt: skip
    analysis = analyse([r], training)
    assert not any("Sorry" in hit["answer"] for hit in analysis.closest[0]), analysis.closest[0]


def test_a_wrong_answer_reciting_another_training_row_names_that_row_and_the_teaching_one(
    tmp_path, capsys
):
    # The demo's most common miss: the model gives another fact's trained answer word for word.
    # Matched by the question's words alone, the row it recited was not named, nor the row that
    # teaches the expected answer under another question.
    weights = "The final weights are saved to runs/<name>/model.safetensors."
    cache = "Downloaded checkpoints are cached in ~/.cache/tunelab/hub."
    training = [
        *TRAINING,
        Example.qa("Where do the final weights go?", weights, "train.jsonl:4"),
        Example.qa("What folder holds downloaded checkpoints?", cache, "train.jsonl:5"),
        Example.qa("How do I resume training?", "Pass --resume to tunelab train.", "train.jsonl:6"),
    ]
    r = row("Where is the download cache kept?", cache, weights)
    r |= {"source": "test.jsonl:1", "missed_facts": ["~/.cache/tunelab/hub"],
          "facts": {"fact_accuracy": 0.0, "fact_recall": 0.0}}  # fmt: skip
    analysis = analyse([r], training)
    matched = {hit["source"]: hit["match"] for hit in analysis.closest[0]}
    assert matched["train.jsonl:4"] == "its answer is the one the model gave"
    assert matched["train.jsonl:5"] == "teaches the expected answer"
    report = to_markdown(analysis)
    assert "`train.jsonl:4` (its answer is the one the model gave)" in report
    assert f"→ {weights} (its answer is the one the model gave)" in report
    # The terminal shows the first row of each kind: the recited one is not cut off.
    from types import SimpleNamespace

    from tunelab.evaluate.cli import _print_errors

    _print_errors(SimpleNamespace(notes=[], analysis=analysis, out_dir=tmp_path))
    said = " ".join(capsys.readouterr().out.split())
    assert "train.jsonl:4 'Where do the final weights go?' (its answer is the one the model" in said
