"""Fact scoring reads what an answer says: a fact it denies, or states and takes back, is not
stated, and on a question that asks what is not, its negations say the facts (values:
test_facts_values.py)."""

import csv

import pytest

from tests.conftest import fact_accurate
from tunelab.data.file_text import DataError
from tunelab.evaluate.asked import denied_by_question
from tunelab.evaluate.facts import missed_facts, parse_fact_check, read_fact_checks, score_facts


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("CPU", "It doesn't run on the CPU."),
        ("CPU", "It cannot run on a CPU."),
        ("GPU", "You do not need a GPU."),
        ("GPU", "not the fast GPU"),
        ("GPU", "It trains without a graphics card or GPU."),
        ("CPU", "It does not support running inference on the CPU."),
        ("CPU", "There is no way to make it run on the CPU."),
    ],
)
def test_a_negation_a_few_words_before_a_fact_in_its_clause_denies_it(fact, answer):
    assert not fact_accurate(fact, answer)


@pytest.mark.parametrize(
    "answer",
    [
        "The capital is Paris. Actually it is not Paris.",
        "Paris? No, that's wrong; it is Lyon.",
    ],
)
def test_a_fact_the_answer_states_and_also_denies_is_not_stated(answer):
    assert not fact_accurate("Paris", answer)
    assert fact_accurate("Lyon", "Paris? No, that's wrong; it is Lyon.")


@pytest.mark.parametrize(
    "answer, stated, wrong_stated",
    [
        ("Windows is not supported.", True, False),
        ("Windows.", True, False),
        ("The unsupported OS is Windows.", True, False),
        ("Linux is supported, Windows is not.", True, False),
        ("Linux is supported but not Windows.", True, False),
        ("Only Linux is supported; Windows isn't.", True, False),
        # Read without negations, these stated the fact (or the wrong answer) they affirm.
        ("Windows is supported.", False, False),
        ("It supports Windows.", False, False),
        ("Linux and macOS are supported.", False, False),
        ("Linux is not supported.", False, True),
    ],
)
def test_on_a_question_that_asks_what_is_not_a_clause_affirming_it_states_nothing(
    answer, stated, wrong_stated
):
    row = {"question": "Which OS is not supported?", "facts": [["Windows"]], "wrong": ["Linux"]}
    check = parse_fact_check(row, "t.jsonl:1")
    scores = score_facts(answer, check)
    assert (scores["fact_recall"], scores["hallucination"]) == (float(stated), float(wrong_stated))
    assert (missed_facts(answer, check) == []) == stated


def test_what_a_question_that_asks_what_is_not_denies_is_its_words_after_the_negation():
    assert denied_by_question("Which OS is not supported by the agent?") == {"support", "agent"}
    assert denied_by_question("What doesn't tunelab support?") == {"tunelab", "support"}
    assert denied_by_question("Which formats are unsupported?") == {"support"}
    assert denied_by_question("Which OS should I use?") == frozenset()
    check = parse_fact_check(
        {"question": "What doesn't tunelab support?", "facts": [["FSDP"]]}, "t.jsonl:1"
    )
    assert score_facts("FSDP, per the tunelab docs.", check)["fact_accuracy"] == 1.0
    assert score_facts("tunelab supports FSDP.", check)["fact_accuracy"] == 0.0


@pytest.mark.parametrize(
    "fact, answer, stated",
    [  # an answer that names the fact only to call it wrong (16 and GPU scored as stated)
        ("16", "16 is wrong; it is 32.", False),
        ("16", "16 is incorrect; the default is 32.", False),
        ("16", "Some docs wrongly say 16; the default is 32.", False),
        ("16", "Many people mistakenly believe it is 16, but it is 32.", False),
        ("16", "That 16 is the default is a common misconception; it is 32.", False),
        ("GPU", "Unlike a GPU, a CPU is enough.", False),
        ("GPU", "A GPU is unnecessary; a CPU is fine.", False),
        ("CPU", "A GPU is unnecessary; a CPU is fine.", True),
        ("CPU", "Unlike a GPU, a CPU is enough.", True),
        ("16", "It is 16, and 32 is wrong.", True),
        ("errors", "Prompts formatted incorrectly cause errors.", True),  # no claim called wrong
        ("resume", "resume is false by default.", True),  # false: a value here
    ],
)
def test_a_value_the_answer_calls_wrong_is_not_stated(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated


@pytest.mark.parametrize(
    "answer, accurate, hallucinated",
    [
        # What some others say is reported, not the answer's claim: not stated, and no
        # hallucination (right or wrong, the answer does not commit to it).
        ("The default rank is 16, although some guides say 32.", True, False),
        ("The default rank is 16, though some people claim it is 32.", True, False),
        ("While some tutorials recommend 32, the default rank is 16.", True, False),
        ("Some guides say 32, but the default is 16.", True, False),
        ("Some guides say: 32. The default is 16.", True, False),
        ("The default is 16, whereas others suggest 32.", True, False),
        ("Although the docs say 32, the code uses 16.", True, False),
        ("The default is 16, not 32 as some guides say.", True, False),
        ("Some guides say 16.", False, False),
        # A concession the answer makes itself, or a source it cites as its own, is its claim.
        ("Although the default is 32, you can lower it to 16.", False, True),
        ("While the default is 32, many set it to 16.", False, True),
        ("The docs say the default is 32.", False, True),
        ("The default is 32, as the docs say.", False, True),
        ("The default is 32, although some guides say 16.", False, True),
        # What others do is no report of what they say: "use" states its value.
        ("While most users use the default of 16, you can raise it.", True, False),
        ("Although some docs list 32, the default is 16.", True, False),
    ],
)
def test_a_value_some_others_are_said_to_claim_is_reported_not_stated(
    answer, accurate, hallucinated
):
    check = parse_fact_check({"facts": [["16"]], "wrong": ["32"]}, "t.jsonl:1")
    scores = score_facts(answer, check)
    assert (scores["fact_accuracy"], scores["hallucination"]) == (accurate, hallucinated)


@pytest.mark.parametrize(
    "answer, accurate, hallucinated",
    [
        # A reported value the answer then affirms as its own is its claim too.
        ("Some guides recommend 16, which is the default.", True, False),
        ("Some guides say 16, and that is the default.", True, False),
        ("Some guides recommend 16 which is the default.", True, False),
        ("Some guides say 16. That's correct.", True, False),
        ("Some guides say 16, and they are right.", True, False),
        ("Some guides say 32, which is the default.", False, True),
        # Denied or left unaffirmed, it stays a report.
        ("Some guides say 16, which is not the default.", False, False),
        ("The default is 16, although some guides say 32.", True, False),
        ("Some guides say 32, which is wrong; the default is 16.", True, False),
    ],
)
def test_a_reported_value_the_answer_affirms_is_stated(answer, accurate, hallucinated):
    check = parse_fact_check({"facts": [["16"]], "wrong": ["32"]}, "t.jsonl:1")
    scores = score_facts(answer, check)
    assert (scores["fact_accuracy"], scores["hallucination"]) == (accurate, hallucinated)


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("CPU", "It is not CPU only; it also uses a GPU."),
        ("GPU", "It is not CPU only; it also uses a GPU."),
        ("CPU", "It runs not only on the CPU but also on a GPU."),
        ("GPU", "It runs not only on the CPU but also on a GPU."),
        ("GPU", "It runs on the CPU, not the TPU, but a GPU helps."),  # "but" ends the clause
        ("8", "Use no more than 8 GPUs."),
        # past eight words the clause is about something else
        ("GPU", "It does not need any extra software or drivers installed to run well on a GPU."),
    ],
)
def test_what_a_negation_does_not_reach_is_still_stated(fact, answer):
    assert fact_accurate(fact, answer)


def test_an_answer_that_states_a_wrong_answer_too_is_notfact_accurate():
    check = parse_fact_check({"facts": [["16"]], "wrong": ["8"]}, "t.jsonl:1")
    assert score_facts("It is 16; on a GPU it is 8.", check) == {
        "fact_recall": 1.0,
        "fact_accuracy": 0.0,
        "hallucination": 1.0,
    }
    assert score_facts("It is 16, not 8.", check)["fact_accuracy"] == 1.0


@pytest.mark.parametrize(
    "answer",
    [
        "It is 16 or 8 GB.",
        "It is 8 or 16.",
        "It is 16, or maybe 8.",  # a hedged second value is offered, no restatement
        "Use 8-16.",
        "It is 4, 8 or 32.",
        "It is 8GB/16GB.",  # a slash between two values offers them as "or" does
    ],
)
def test_a_wrong_value_offered_is_not_stated_as_no_value_offered_is(answer):
    # An offer commits to none of its values: it misses the fact (16), and states no wrong one.
    check = parse_fact_check({"facts": [["16"]], "wrong": ["8"]}, "t.jsonl:1")
    assert score_facts(answer, check) == {
        "fact_recall": 0.0,
        "fact_accuracy": 0.0,
        "hallucination": 0.0,
    }


def test_what_a_regex_fact_matches_is_read_with_its_negations():
    def accurate(answer: str) -> bool:
        check = parse_fact_check({"facts": [[{"regex": r"\b0?\.05\b"}]]}, "t.jsonl:1")
        return score_facts(answer, check)["fact_accuracy"] == 1.0

    assert not accurate("The warmup is not 0.05; it is 0.1.")
    assert accurate("The warmup ratio is 0.05.")
    finetune = parse_fact_check({"facts": [[{"regex": "fine[- ]?tun"}]]}, "t.jsonl:1")
    assert score_facts("It is finetuned here.", finetune)["fact_accuracy"] == 1.0  # part of a word


def test_a_fact_with_no_alternatives_is_refused_when_the_file_is_read(tmp_path):
    with pytest.raises(DataError, match=r"t.jsonl:3: fact 2 is an empty list"):
        parse_fact_check({"facts": [["CPU"], []]}, "t.jsonl:3")
    path = tmp_path / "test.jsonl"
    path.write_text('{"question": "q", "answer": "a", "facts": [[]]}\n')
    with pytest.raises(DataError, match=rf"{path}:1: fact 1 is an empty list"):
        read_fact_checks(path)


def test_facts_in_a_csv_cell_are_read_and_a_misnamed_column_is_refused(tmp_path):
    # A CSV cell holds text: its facts were refused as "not lists". A "fact" column was read as
    # nothing, and the row scored by its wording alone.
    table = tmp_path / "test.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "answer", "facts", "wrong"])
        writer.writerow(["Need a GPU?", "No, the CPU is enough.", '[["CPU"]]', '["yes"]'])
    (check,) = read_fact_checks(table).values()
    assert score_facts("It runs on the CPU.", check) == {
        "fact_recall": 1.0, "fact_accuracy": 1.0, "hallucination": 0.0,
    }  # fmt: skip
    with pytest.raises(DataError, match=r"test.csv:2: 'facts' is not a JSON list"):
        parse_fact_check({"facts": "[[CPU]]"}, "test.csv:2")
    with pytest.raises(DataError, match="x.jsonl:3: column 'fact' is read as nothing"):
        parse_fact_check({"fact": [["CPU"]]}, "x.jsonl:3")


@pytest.mark.parametrize(
    "fact, answer",
    [
        # A negation a few words before a word says nothing of the same word stated elsewhere.
        ("2048", "The maximum is 2048 tokens; do not exceed 2048."),
        ("3.8", "It supports 3.8+; it doesn't support versions below 3.8."),
        ("CPU", "Yes, it runs on CPU. It's not slow on CPU either."),
        # Exceptions, "and" and a double negation end a negation's reach.
        ("CPU", "It does not need anything except a CPU."),
        ("PyTorch", "It has no dependencies beyond PyTorch."),
        ("GPU", "Yes, it won't work without a GPU."),
        ("CUDA", "You can't finetune a 7B model without CUDA."),
        ("CPU", "It does not need a GPU and the CPU is enough."),
        # "It is not true that..." and "It's wrong to..." look ahead: they take nothing back.
        ("CPU", "It runs on the CPU. It is not true that you need a GPU."),
        ("2e-4", "Use 2e-4. It's wrong to use 1e-2 with LoRA."),
    ],
)
def test_right_answers_a_reviewer_found_scored_wrong_are_right(fact, answer):
    assert fact_accurate(fact, answer)


@pytest.mark.parametrize("dash", [" - ", " – ", " — "])
def test_a_retraction_before_a_dash_takes_back_what_came_before(dash):
    # "Helsinki? No, that's wrong - it is made in Tampere." scored Helsinki stated, Tampere not.
    answer = f"Helsinki? No, that's wrong{dash}it is made in Tampere."
    assert not fact_accurate("Helsinki", answer) and fact_accurate("Tampere", answer)


@pytest.mark.parametrize(
    "answer",
    ["Helsinki? No, that's wrong—it is made in Tampere.", "Helsinki? That's wrong -- Tampere."],
)
def test_a_retraction_before_an_unspaced_or_double_dash_takes_back_what_came_before(answer):
    assert not fact_accurate("Helsinki", answer) and fact_accurate("Tampere", answer)


def test_a_fact_the_question_says_itself_is_named_and_the_demo_has_none(tmp_path):
    from tunelab.data.load import load_examples
    from tunelab.evaluate.facts import echo_note, echoed_facts

    test = tmp_path / "t.jsonl"
    test.write_text(
        '{"question": "Does tunelab read Parquet files?", "answer": "Yes.", "facts": [["Parquet"]]}\n'
        '{"question": "Which port?", "answer": "8080.", "facts": [["8080"]]}\n'
    )
    asked = {ex.source: ex.question for ex in load_examples(test)}
    echoed = echoed_facts(asked, read_fact_checks(test))
    assert echoed == [f"{test}:1"]
    assert echo_note(echoed).startswith("1 test rows have a fact their own question says")
    demo = "tunelab/demo/tunelab_qa_test.jsonl"
    asked = {ex.source: ex.question for ex in load_examples(demo)}
    assert echoed_facts(asked, read_fact_checks(demo)) == []  # "broken line": "line" was one


def test_a_question_that_asks_what_is_not_has_its_answers_negations_say_the_facts():
    asks_not = {"question": "Which OS is not supported?", "facts": [["Windows"]]}
    check = parse_fact_check(asks_not, "t.jsonl:1")
    assert check.negative
    assert score_facts("Windows is not supported.", check)["fact_accuracy"] == 1.0
    assert score_facts("It does not support Windows.", check)["fact_accuracy"] == 1.0
    assert score_facts("Windows. No, that's wrong: Linux.", check)["fact_accuracy"] == 0.0
    # Asked plainly, the same negation denies: the named wrong answer is not stated.
    plain = {"question": "Which OS should I use?", "facts": [["Linux"]], "wrong": ["Windows"]}
    scores = score_facts("Windows is not supported; use Linux.", parse_fact_check(plain, "t:2"))
    assert scores == {"fact_recall": 1.0, "fact_accuracy": 1.0, "hallucination": 0.0}
    chat = {"messages": [{"role": "user", "content": "What isn't needed?"}], "facts": [["GPU"]]}
    assert parse_fact_check(chat, "t:3").negative
    # A negation in a condition asks nothing negative: "16, not 8" still denies the wrong 8.
    unset = {"question": "How large is the rank if I do not set it?", "facts": [["16"]],
             "wrong": ["8"]}  # fmt: skip
    assert not parse_fact_check(unset, "t:4").negative
    assert score_facts("It is 16, not 8.", parse_fact_check(unset, "t:4"))["hallucination"] == 0
    for plain_ask in (
        "Can I train without a GPU?",
        "Why is my loss not going down?",
        "What is the reason my loss is not going down?",
        "What does the error 'CUDA not available' mean?",
        "What happens when I don't set a seed?",
        "这两个模型有什么不同?",
    ):
        assert not parse_fact_check({"question": plain_ask, "facts": [["x"]]}, "t:5").negative


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        ("7b", "Use a 7B model.", True),  # a model size in either case
        ("135M", "It has 135m parameters.", True),
        ("7", "Use a 7b model.", False),
        ("20", "Use an 80:20 train/test split.", True),  # a ratio, no time
        ("21", "The final score was 21:35.", False),  # a time of day: one value
        ("1 GB", "a 1 gigabit link", False),
        ("gpt-3.5-turbo", "Use GPT-3.5 Turbo.", True),  # no address
        ("config.yaml", "See config.yaml:12.", True),
        ("tunelab.dev", "Read https://tunelab.dev/docs.", True),
        ("Node.js", "a Node.js-based tool", True),
        ("example.com", "It listens on example.com:8080.", True),
        ("3.4", "The shape is (3,4).", False),  # a pair, no decimal comma
        ("3,5 GB", "Es braucht 3,5 GB.", True),
        ("add_data()", "Call add_data_batch().", False),  # names in code said whole
        ("add_data", "You can add data to the program.", False),
        ("LAMINI_API_KEY", "Set LAMINI_API_KEY_V2.", False),
        ("--max-tokens", "Set the max tokens.", False),
        ("32", "It is 32. Wait, no, it is 16.", False),  # a retraction
        ("16", "It is 32. Wait, no, it is 16.", True),
        ("CPU", "It is unable to run on a CPU.", False),
        ("CPU", "It lacks CPU support.", False),
        ("CPU", "CPU support is unavailable.", False),
        ("packing", "Packing is disabled by default.", False),
        ("packing", "No, packing is off.", False),
        ("CPU", "Training on a CPU is impossible.", False),
        ("response", "The prompt; the response is ignored.", False),
        ("response", "The response is excluded from the loss.", False),
        ("response", "The response is masked out of the loss.", False),
        ("response", "The response is left out of the loss.", False),
        ("response", "The prompt is masked out of the loss; only the response is trained.", True),
        ("Windows", "Windows support was removed in 2.0.", False),
        # An exception denies what it sets apart, but not after a negation in its sentence.
        ("Windows", "It runs on every OS except Windows.", False),
        ("Windows", "It runs on every OS except for Windows.", False),
        ("Parquet", "All formats excluding Parquet work.", False),
        ("Linux", "Nothing except Linux is supported.", True),
        ("WSL", "It doesn't run on Windows except via WSL.", True),
        ("GPU", "It runs on the GPU except when it is busy.", True),
        ("CPU", "GPU support is disabled; it runs on the CPU.", True),  # another clause
        ("response", "The prompt is ignored; only the response is trained.", True),
        ("GPU memory", "Lack of GPU memory causes the OOM.", True),  # a cause, no denial
        ("add_data()", "调用add_data()函数即可。", True),  # Chinese letters are no part of it
        ("max_tokens", "Set max\\_tokens to 100.", True),  # Markdown's escape
        ("100", "Use a V100.", False),  # a GPU, no version
        ("5", "Use 1e1000000.", False),  # no overflow writing it out
        ("llm.submit_job", "Use llm.submit_job_batch().", False),
        ("3", "Use 2 and 3 GPUs.", True),  # a list, no range
        ("1990s", "the 1990 standard", False),
    ],
)
def test_what_the_audits_rules_must_leave_as_it_was(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated


@pytest.mark.parametrize(
    "question, answer, fact, stated",
    [
        # A question that asks what is masked, ignored, disabled... is answered by its subject.
        ("Which tokens are masked?", "Prompt tokens are masked out of the loss.", "prompt", True),
        ("Which tokens does the loss ignore?", "Padding tokens are ignored.", "padding", True),
        ("What is disabled by default?", "Packing is disabled by default.", "packing", True),
        ("Which files are excluded?", "Temporary files ending in .tmp are excluded.", "tmp", True),
        ("What is left out of the loss?", "The prompt is left out.", "prompt", True),
        ("What was removed in 2.0?", "Windows support was removed in 2.0.", "Windows", True),
        # Asked what is not masked, "is masked" affirms what the question denies.
        ("Which tokens are not masked?", "The prompt is masked.", "prompt", False),
        ("Which tokens are not masked?", "The response is not masked.", "response", True),
        ("Which are not disabled?", "Packing is disabled; eval is not.", "packing", False),
        # A question that asks what is not is answered by an exception too.
        ("Which OS is not supported?", "Every OS except Windows is supported.", "Windows", True),
        (
            "Which tokens are masked?",
            "The prompt is masked; the response is not.",
            "response",
            False,
        ),  # fmt: skip
        # Another question: the same answer denies its subject.
        ("Which parts are trained?", "The response is masked out of the loss.", "response", False),
        ("Which parts are trained?", "Padding tokens are ignored.", "padding", False),
        # Only the word the question asks about: "masked" does not make "disabled" state.
        ("Which tokens are masked?", "Packing is disabled.", "packing", False),
    ],
)
def test_what_a_question_asks_is_switched_off_its_answer_states(question, answer, fact, stated):
    check = parse_fact_check({"question": question, "facts": [[fact]]}, "t.jsonl:1")
    assert (score_facts(answer, check)["fact_accuracy"] == 1.0) == stated


def test_a_wrong_subject_said_masked_where_masked_is_asked_is_a_hallucination():
    row = {"question": "Which tokens are masked out of the loss?", "facts": [["prompt"]]}
    check = parse_fact_check({**row, "wrong": ["response"]}, "t.jsonl:1")
    assert score_facts("The response is masked out of the loss.", check)["hallucination"] == 1.0
    assert score_facts("The prompt is masked; the response is not.", check) == {
        "fact_recall": 1.0,
        "fact_accuracy": 1.0,
        "hallucination": 0.0,
    }


NEGATIVE_QUESTIONS = [  # (question, asks what is not), from a review
    ("Which OS is not supported?", True),
    ("What file formats are not supported by export?", True),
    ("Which models can't be exported?", True),
    ("What isn't covered by the free tier?", True),
    ("Which settings should not be changed?", True),
    ("Which features are no longer supported?", True),
    ("What don't I need to install?", True),
    ("What are things you cannot do with LoRA?", True),
    ("Which formats are unsupported?", True),
    ("What's not supported in the GGUF export?", True),
    ("Which GPUs does tunelab not support?", True),
    ("What does tunelab not support?", True),
    ("Which of the following models are not supported?", True),
    ("Hi! Which Python versions are not supported?", True),
    ("So which GPUs are not supported?", True),
    ("In tunelab, what options can't be combined with packing?", True),
    ("Which models couldn't be quantized?", True),
    ("What should I not do when finetuning?", True),
    ("哪些模型不支持导出?", True),
    ("Can I train without a GPU?", False),
    ("Why is my loss not going down?", False),
    ("What is the reason my loss is not going down?", False),
    ("What happens if the GPU is not available?", False),
    ("What should I check if my loss doesn't go down?", False),
    ("What's the reason my loss is not going down?", False),
    ("What does it mean when training does not converge?", False),
    ("What does 'CUDA not available' mean?", False),
    ("What is a model that isn't finetuned called?", False),  # a clause's negation
    ("What about models that don't fit in memory?", False),
    ("What do I do with files who can't be read?", False),
    ("What is it that tunelab doesn't support?", True),  # a cleft's "it that"
    ("我的损失为什么没有下降?", False),
    ("为什么没有GPU也能训练?", False),
    ("这两个模型有什么不同?", False),
    ("什么情况下训练不会收敛?", False),
]


@pytest.mark.parametrize(("question", "negative"), NEGATIVE_QUESTIONS)
def test_questions_that_ask_what_is_not_are_told_from_others(question, negative):
    # Missed, a right answer ("Windows is not supported" to "Which OS is unsupported?") scored
    # 0; taken wrongly, an answer's "not the batch size" stated its wrong answer.
    assert parse_fact_check({"question": question, "facts": [["x"]]}, "t:1").negative == negative


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # "? No," takes back what it asks, as "Paris? No, that's wrong" does.
        ("16", "The LoRA rank r defaults to 16? No, it defaults to 32.", False),
        ("32", "16? No, 32.", True),
        ("Paris", "Is it Paris? No doubt, it is Paris.", True),
        # A value in e-notation offered among others is not stated, as "16 or 32" is not.
        ("2e-4", "It is 2e-4 or 5e-4.", False),
        ("2e-4", "The default learning rate is 2e-4.", True),
        # A value the answer says was so before is no fact it states of now.
        ("32", "The default batch size was 32 in older versions; it is now 16.", False),
        ("16", "The default batch size was 32 in older versions; it is now 16.", True),
        ("2048", "The limit was raised to 4096 tokens from 2048.", False),
        ("4096", "The limit was raised to 4096 tokens from 2048 in v2.", True),
        ("30 seconds", "The timeout is 15 seconds (it was 30 seconds before 3.2.0).", False),
        ("30", "It changed from 30 to 15.", False),
        ("15", "It changed from 30 to 15.", True),
        ("5-10 GB", "It ranges from 5 to 10 GB.", True),  # a range, no change
        # A name and its number written together.
        ("GPT-4", "It uses gpt4.", True),  # a name and its number written together
        ("Llama 2", "Use llama2.", True),
        ("GPT-4", "It uses GPT-40.", False),
        ("Llama 2", "Use Llama 3.", False),
        # A value offered as a guess.
        ("32", "I'm not sure, maybe 32?", False),  # a guess
        ("16", "Perhaps 16, I do not know.", False),
        ("32", "The default is 32, maybe the best choice.", True),  # the hedge is elsewhere
        # A file's name is said as written; a fact written as words is words.
        ("config.yaml", "It reads config.yaml.", True),
        ("config.yaml", "It reads the config YAML file.", False),  # a file's name as written
        ("config.yaml", "It reads myconfig.yaml.", False),
        # An archive or an installer's name too (a walk's "`harborline logs --zip`" was credited
        # with harborline-logs.zip).
        ("harborline-logs.zip", "It writes `harborline logs --zip` to disk.", False),
        ("harborline-logs.zip", "It writes harborline-logs.zip to disk.", True),
        ("setup.exe", "Run the setup exe.", False),
        ("backup-2024.tar.gz", "Restore backup 2024 tar gz.", False),
        ("backup-2024.tar.gz", "Restore backup-2024.tar.gz first.", True),
        ("config yaml", "It writes config.yaml.", True),  # a fact written as words is words
    ],
)
def test_an_answer_is_read_for_what_it_states_now_and_whole(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated
