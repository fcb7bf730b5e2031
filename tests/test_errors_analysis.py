"""Error analysis: each weak answer gets categories with reasons (and none when it states every
fact). Misspellings: test_errors_spelling.py; the training data: test_errors_closest_training.py;
the reports: test_errors_report.py."""

from tunelab.data.example import Example
from tunelab.evaluate.analysis import analyse, examples_of
from tunelab.evaluate.metrics import score_texts


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


def test_a_list_with_bullets_is_not_repetitive():
    listing = "Set:\n- the number of epochs\n- the number of steps\n- the number of tokens"
    loop = "Set: the number of epochs the number of epochs the number of epochs"
    r, again = row("What to set?", "Epochs.", listing), row("What to set?", "Epochs.", loop)
    analyse([r, again])
    assert "repetitive" not in categories(r) and "repetitive" in categories(again)


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


def test_an_answer_that_states_every_fact_is_not_an_error_whatever_its_token_f1():
    from tunelab.evaluate.facts.score import parse_fact_check
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


def test_a_cut_off_answer_says_which_setting_to_change():
    # The category said "no end-of-sequence within 64 tokens" and nothing of what to do, as if
    # the model alone were at fault.
    steps = "Install it, write a config, run train, then eval the run on held-out questions."
    rows = [
        row("How do I start?", steps, "Install it, write a", finish="length"),
        row("How do I install it?", "With pip.", "With pip. " + "And then " * 10, finish="length"),
    ]
    analyse(rows, TRAINING)
    short, long = (
        next(e["reason"] for e in r["errors"] if e["category"] == "cut_off") for r in rows
    )
    assert "raise eval's max_new_tokens (--max-new-tokens 128)" in short
    assert "shorten the training answers" in long and "shorten" not in short


def test_a_cut_off_answer_is_told_the_limit_the_note_above_gives():
    # At --max-new-tokens 4 each row said "--max-new-tokens 8" while the note above errors.md
    # said to raise it to the longest reference's 30 tokens (now twice that, both).
    from tunelab.evaluate.scores import cut_off_note

    steps = "Install it, write a config, run train, then eval the run on held-out questions."
    rows = [
        {
            **row("How do I start?", steps, "Install it, write", finish="length"),
            "reference_tokens": 30,
        },
        {
            **row(
                "How do I install it?",
                "With pip in a virtual environment.",
                "With",
                finish="length",
            ),
            "reference_tokens": 4,
        },
    ]
    for r in rows:
        r["completion_tokens"] = 4
    analyse(rows, TRAINING)
    for r in rows:
        [why] = [e["reason"] for e in r["errors"] if e["category"] == "cut_off"]
        assert "(--max-new-tokens 60)" in why
    assert "raise --max-new-tokens to 60 " in cut_off_note({"model": rows}, 4, 30)


def test_a_cut_off_answer_at_twice_the_longest_reference_is_not_told_to_raise_the_limit():
    # At 64 tokens against references of 10 at most, the note above errors.md says the model
    # does not stop; each cut-off row still said "(or raise ... --max-new-tokens 128)".
    rambling = "With pip. " + "And then " * 30
    rows = [{**row("How do I install it?", "With pip.", rambling, finish="length"),
             "reference_tokens": 10, "completion_tokens": 64}]  # fmt: skip
    analyse(rows, TRAINING)
    [why] = [e["reason"] for e in rows[0]["errors"] if e["category"] == "cut_off"]
    assert "shorten the training answers so it learns to stop" in why
    assert "max-new-tokens" not in why


def test_a_cut_off_answer_of_punctuation_past_its_reference_is_not_told_it_stopped_short():
    # 16 tokens of "::::" are no words: the row was told it stopped "short of the reference's
    # length" and to raise the limit to 814, for a reference of 11 tokens.
    rows = [{**row("How do I install it?", "With pip in a virtual environment.", ":" * 64,
                   finish="length"), "completion_tokens": 16, "reference_tokens": 11}]  # fmt: skip
    analyse(rows, TRAINING)
    [why] = [e["reason"] for e in rows[0]["errors"] if e["category"] == "cut_off"]
    assert why.startswith("no end-of-sequence within 16 tokens, past the reference's length")


def test_a_cut_off_answer_of_another_tools_file_without_its_token_count_names_no_count():
    # A predictions file of another tool holds no completion_tokens: its cut-off row said
    # "no end-of-sequence within None tokens".
    rows = [row("How do I install it?", "With pip in a virtual environment.", "With", "length")]
    del rows[0]["completion_tokens"]
    analyse(rows, TRAINING)
    [why] = [e["reason"] for e in rows[0]["errors"] if e["category"] == "cut_off"]
    assert why == "no end-of-sequence before the token limit"


def test_a_run_taught_answers_as_short_as_the_reference_is_told_to_train_longer():
    # A 12-step LoRA run on 9-word answers looped ("relay.log.firehosefirehose...") and was told
    # to shorten its training answers, already as short as the reference it ran past.
    reference = "Run pip install tunelab in a virtual environment."
    rambling = "Run pip install tunelab in a virtual environment" + " firehose" * 20
    rows = [row("How can I install tunelab?", reference, rambling, finish="length")]
    analyse(rows, TRAINING)
    [why] = [e["reason"] for e in rows[0]["errors"] if e["category"] == "cut_off"]
    assert "as its training answers are not: train longer (more steps or epochs)" in why
    assert "shorten" not in why


def test_a_long_or_looping_answer_names_the_training_answer_that_taught_it():
    # The reason gave the answer's length or its loop alone; the reader opened each closest
    # training row to see whether the data was the same.
    rambling = "The GPU speeds up training because the GPU holds the model weights. " * 3
    training = [
        Example.qa("Does tunelab need a GPU to train?", rambling, "train.jsonl:7"),
        Example.qa("How fast is GPU training?", "Several times faster on a GPU.", "train.jsonl:8"),
    ]
    long = row("Is a GPU required for tunelab?", "No, a CPU works.", rambling)
    analyse([long], training)
    reasons = {e["category"]: e["reason"] for e in long["errors"]}
    assert reasons["too_long"].endswith(
        "; closest training answer train.jsonl:7 is as long: fix it there"
    )
    assert reasons["repetitive"].endswith(
        "; closest training answer train.jsonl:7 repeats itself: fix it there"
    )
    # A model that loops on its own, over short training answers, is not sent to the data.
    training[0] = Example.qa(
        "Does tunelab need a GPU to train?", "No, a CPU works.", "train.jsonl:7"
    )
    analyse([long], training)
    assert not any("fix it there" in e["reason"] for e in long["errors"])


def test_two_training_answers_that_taught_a_long_answer_are_named_in_the_plural():
    # "closest training answer train.jsonl:7, train.jsonl:8 is as long: fix it there" named
    # two rows as one.
    rambling = "The GPU speeds up training because the GPU holds the model weights. " * 3
    training = [
        Example.qa("Does tunelab need a GPU to train?", rambling, "train.jsonl:7"),
        Example.qa("Is a GPU needed for tunelab training?", rambling + " Yes.", "train.jsonl:8"),
    ]
    long = row("Is a GPU required for tunelab?", "No, a CPU works.", rambling)
    analyse([long], training)
    reasons = {e["category"]: e["reason"] for e in long["errors"]}
    assert reasons["too_long"].endswith(
        "; closest training answers train.jsonl:7, train.jsonl:8 are as long: fix them there"
    )
    assert reasons["repetitive"].endswith(
        "; closest training answers train.jsonl:7, train.jsonl:8 repeat themselves: fix them there"
    )


def test_a_wrong_verdict_is_said_by_the_words_of_the_answer_not_by_its_pattern():
    # The wrong answer `data facts` gives a "Yes" row is a pattern of some 700 characters:
    # the terminal and errors.md printed it whole beside the answer.
    from tunelab.evaluate.facts.score import parse_fact_check, wrong_stated
    from tunelab.evaluate.facts.yes_no import opposite

    question = "Does Lamini support generating code?"
    reference = "Yes, Lamini supports generating code."
    wrong = opposite(question, reference)
    assert len(wrong[0]["regex"]) > 500
    check = parse_fact_check({"facts": [["code"]], "wrong": wrong}, "test.jsonl:1")
    answer = "Lamini is not able to generate code."
    said = {**row(question, reference, answer), "wrong_stated": wrong_stated(answer, check)}
    analyse([said], TRAINING)
    [reason] = [e["reason"] for e in said["errors"] if e["category"] == "hallucination"]
    assert reason == "states a wrong answer: 'Lamini is not able to' (the wrong answer's pattern)"


def test_a_wrong_pattern_is_quoted_by_words_the_answer_says_not_by_ones_it_denies():
    # The report quotes the match the answer states, not a first one it denies.
    from tunelab.evaluate.facts.score import parse_fact_check, wrong_stated

    question, reference = "Which port does the server use?", "It uses port 9000."
    check = parse_fact_check({"facts": [["9000"]], "wrong": [{"regex": r"port 80\d\d"}]}, "t:1")
    answer = "It is not port 8000 but port 8080."
    said = {**row(question, reference, answer), "wrong_stated": wrong_stated(answer, check)}
    analyse([said], TRAINING)
    [reason] = [e["reason"] for e in said["errors"] if e["category"] == "hallucination"]
    assert reason == "states a wrong answer: 'port 8080' (the wrong answer's pattern)"
