"""`tunelab data check`: near-duplicates and leaks that whole-word comparison misses, a typo in a
short question and a test question quoted inside a longer training text."""

from __future__ import annotations

import json
from pathlib import Path

from tunelab.data.quality import dedup
from tunelab.data.quality.check import check_file
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.quality.report import to_markdown

TINY = QualityConfig(model="tiny-random")
OTHER = [
    ("What does the packing option do?", "It joins short examples into one row."),
    ("Which file holds the run settings?", "config.yaml in the run folder."),
    ("Where are adapters saved?", "Under runs/<name>/model as safetensors."),
]
RESET = "Click 'Forgot password' on the sign-in page."


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def qa_rows(pairs) -> list[dict]:
    return [{"question": q, "answer": a} for q, a in pairs]


def test_a_short_question_with_a_typo_is_a_near_duplicate(tmp_path):
    # A 6-word question has 4 word 3-shingles and the typo changes one of them, more in the middle.
    rows = qa_rows(
        [("How do I reset my password?", RESET), *OTHER, ("How do I reset my pasword?", RESET)]
    )
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert [(p.first, p.second, p.similarity) for p in report.near_dups] == [(0, 4, 1.0)]
    assert report.removals() == {4: "near-duplicate (1.00) of d.jsonl:1"}


def test_typos_anywhere_in_a_question_make_a_near_duplicate(tmp_path):
    rows = qa_rows(
        [
            ("How can I resume a stopped training run?", "Run it again with --resume."),
            ("How can I resmue a stopped trainnig run?", "Run it again with --resume."),
            ("How can I resume a stoped training run?", "Run it again with --resume."),
        ]
    )
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert [(p.first, p.second) for p in report.near_dups] == [(0, 1), (0, 2), (1, 2)]


def test_a_different_key_word_is_a_different_question(tmp_path):
    # One word changed is no typo: "username" asks something else than "password", "GPT-4" than
    # "GPT-3". Neither is a near-duplicate nor, as a test question, a leak.
    pairs = [
        ("How do I reset my password?", RESET),
        ("How do I reset my username?", "Ask an admin; usernames are fixed."),
        ("What is the context length of GPT-3?", "2048 tokens."),
        ("What is the context length of GPT-4?", "8192 tokens, or 32k."),
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", qa_rows(pairs)), config=TINY)
    assert report.near_dups == []
    train = write_rows(tmp_path / "train.jsonl", qa_rows([pairs[0], pairs[2], *OTHER]))
    test = write_rows(tmp_path / "test.jsonl", qa_rows([pairs[1], pairs[3]]))
    assert check_file(train, test, TINY).contamination == []


# Pairs one slip apart where each word is in several rows: two words, not a typo and its word.
SLIPS_THAT_ARE_WORDS = [
    ("Can you list the available models?", "Can you list the available modes?"),
    ("Where is the latest checkpoint?", "Where is the latent checkpoint?"),
    ("Does dropout affect the training loss?", "Does dropout effect the training loss?"),
    ("How do I convert the model to float?", "How do I convert the model to flat?"),
]
MORE_OF_THESE_WORDS = [
    "Which models support LoRA?",
    "Which modes write a run folder?",
    "How do I resume from the latest step?",
    "What size is the latent space?",
    "Does batch size affect memory use?",
    "What is the effect of warmup?",
    "Which float type does training use?",
    "Why is the loss flat after warmup?",
    "Can I change my password?",
]


def test_words_one_letter_apart_that_several_rows_use_are_different_questions(tmp_path):
    # "modes" is no typo of "models" when other rows ask about modes too; "pasword", in one row
    # beside a "password" in several, is.
    questions = [q for pair in SLIPS_THAT_ARE_WORDS for q in pair] + MORE_OF_THESE_WORDS
    questions += ["How do I reset my password?", "How do I reset my pasword?"]
    near = dedup.near_duplicates(questions)
    assert [(questions[p.first], questions[p.second]) for p in near] == [
        ("How do I reset my password?", "How do I reset my pasword?")
    ]
    # As test questions they leak nothing; the typo'd one leaks its train row.
    train_rows = [a for a, _ in SLIPS_THAT_ARE_WORDS] + MORE_OF_THESE_WORDS
    train_rows.append("How do I reset my password?")
    train = write_rows(
        tmp_path / "train.jsonl", qa_rows((q, f"Answer {k}.") for k, q in enumerate(train_rows))
    )
    test_rows = [b for _, b in SLIPS_THAT_ARE_WORDS] + ["How do I reset my pasword?"]
    test = write_rows(tmp_path / "test.jsonl", qa_rows((q, "x") for q in test_rows))
    report = check_file(train, test, TINY)
    assert [
        (report.where(p.first), report.where(p.second, test=True)) for p in report.contamination
    ] == [("train.jsonl:14", "test.jsonl:5")]


def test_a_test_question_with_a_typo_leaks(tmp_path):
    # "passwrod" is in one row and "password" in two: a typo, not a word of its own.
    change = ("Can I change my password?", "Yes, under Settings.")
    train = write_rows(
        tmp_path / "train.jsonl", qa_rows([*OTHER, ("How do I reset my password?", RESET), change])
    )
    test = write_rows(tmp_path / "test.jsonl", qa_rows([("how do i reset my passwrod", "x")]))
    report = check_file(train, test, TINY)
    assert [
        (report.where(p.first), report.where(p.second, test=True)) for p in report.contamination
    ] == [("train.jsonl:4", "test.jsonl:1")]


def test_a_test_question_quoted_inside_a_training_document_is_a_leak(tmp_path):
    # Continued pretraining on raw text: a forum page quotes the test question word for word.
    docs = [
        {"text": "Release notes. Packing is now on by default for short rows."},
        {
            "text": "Support forum, page 3.\nUser: How do I reset my password?\n"
            "Admin: click 'Forgot password' on the sign-in page and follow the mail."
        },
    ]
    train = write_rows(tmp_path / "train.jsonl", docs)
    test = write_rows(
        tmp_path / "test.jsonl",
        qa_rows([("How do I reset my password?", RESET), ("What does packing do?", "x")]),
    )
    report = check_file(train, test, TINY)
    leak = report.contamination
    assert [(report.where(p.first), report.where(p.second, test=True), p.inside) for p in leak] == [
        ("train.jsonl:2", "test.jsonl:1", True)
    ]
    assert (
        "| train.jsonl:2 | inside | Support forum, page 3. User: How do I reset my password? Admin: "
        "click… |\n| test.jsonl:1 |  | How do I reset my password? |"
    ) in to_markdown(report)
    assert report.removals() == {1: "leaks test row test.jsonl:1 (quoted inside it)"}


def test_a_test_prompt_that_quotes_a_train_question_is_a_leak(tmp_path):
    # The test set wraps a trained question in context and an instruction: its shingles share
    # little with the question's (Jaccard ~0.2), but it asks what was trained.
    train = write_rows(
        tmp_path / "train.jsonl", qa_rows([*OTHER, ("How do I reset my password?", RESET)])
    )
    wrapped = (
        "You are the support assistant of Acme Cloud. Read the user's message and reply in one "
        "short paragraph. Message: How do I reset my password? I am locked out since Monday."
    )
    test = write_rows(
        tmp_path / "test.jsonl", qa_rows([("What does packing do?", "x"), (wrapped, RESET)])
    )
    report = check_file(train, test, TINY)
    leak = report.contamination
    assert [(report.where(p.first), report.where(p.second, test=True), p.quotes) for p in leak] == [
        (f"train.jsonl:{len(OTHER) + 1}", "test.jsonl:2", True)
    ]
    assert (
        f"| train.jsonl:{len(OTHER) + 1} | quoted | How do I reset my password? |\n"
        # shown from where it quotes the question, 100 characters into it
        "| test.jsonl:2 |  | …paragraph. Message: How do I reset my password? I am locked out sinc… |"
    ) in to_markdown(report)
    assert report.removals() == {len(OTHER): "leaks test row test.jsonl:2 (which quotes it)"}
    # A train question shorter than min_quoted_words is too common a phrase to call a leak.
    short = check_file(train, test, TINY.model_copy(update={"min_quoted_words": 7}))
    assert short.contamination == []


def test_a_test_question_inside_a_long_training_answer_is_a_leak(tmp_path):
    answer = (
        "A common first question is: how do I reset my password? The answer: " + RESET + " The"
        " link in the mail expires after one hour."
    )
    train = write_rows(
        tmp_path / "train.jsonl", qa_rows([*OTHER, ("What do new users ask?", answer)])
    )
    test = write_rows(tmp_path / "test.jsonl", qa_rows([("How do I reset my password?", RESET)]))
    report = check_file(train, test, TINY)
    assert [(p.first, p.second, p.inside) for p in report.contamination] == [(3, 0, True)]


def test_a_question_of_few_words_inside_a_document_is_no_leak(tmp_path):
    # "What is LoRA?" turns up in any prose about LoRA; only questions of min_quoted_words (6)
    # words or more are looked for inside longer texts.
    train = write_rows(
        tmp_path / "train.jsonl", [{"text": "FAQ. What is LoRA? A low-rank adapter."}]
    )
    test = write_rows(tmp_path / "test.jsonl", qa_rows([("What is LoRA?", "x")]))
    assert check_file(train, test, TINY).contamination == []
    config = TINY.model_copy(update={"min_quoted_words": 3})
    assert [p.inside for p in check_file(train, test, config).contamination] == [True]


def test_a_word_the_tokenizer_holds_whole_is_never_a_typo():
    # "modes" in one row beside "models" in three: by row counts alone a typo; a word the
    # model's tokenizer holds as one token is a word of the language, and stays one.
    rows = [
        "Which models support LoRA?",
        "How many models can I train at once?",
        "Can you list the available models?",
        "Can you list the available modes?",
    ]
    whole = {"models", "modes", "password"}.__contains__
    assert dedup.near_duplicates(rows, whole=whole) == []
    # Without the tokenizer's word, the counts decide, as before.
    assert [(p.first, p.second) for p in dedup.near_duplicates(rows)] == [(2, 3)]


def test_a_typo_of_a_word_only_its_twin_uses_is_found_with_the_tokenizer():
    twin = "How do I reset my password in the app settings page?"
    typo = "How do I reset my pasword in the app settings page?"
    whole = {"password", "reset", "settings"}.__contains__
    assert [(p.first, p.second) for p in dedup.near_duplicates([twin, typo], whole=whole)] == [
        (0, 1)
    ]
    leaks = dedup.cross_duplicates([twin], [typo], whole=whole)
    assert [(p.first, p.second) for p in leaks] == [(0, 0)]


def test_a_row_repeated_whole_does_not_make_its_typo_a_word():
    a = "How do I reset my password in the app settings page?"
    b = "How do I reset my pasword in the app settings page?"
    rows = [a, "Can I change my password?", b, b]
    assert (0, 2) in [(p.first, p.second) for p in dedup.near_duplicates(rows)]


def test_data_check_tells_words_from_typos_by_the_models_tokenizer():
    from tunelab.data.quality.check import whole_words
    from tunelab.run import load_tokenizer

    whole = whole_words(load_tokenizer("smollm2-135m-instruct"))
    assert all(whole(w) for w in ("modes", "models", "latent", "latest", "effect", "password"))
    assert not any(whole(w) for w in ("pasword", "passwrod", "prformance"))


def test_the_same_answer_to_a_question_asked_another_way_is_no_duplicate(tmp_path):
    # --fix removed "Is a GPU required to train?" as a near-duplicate of "Do I need CUDA?" for
    # their shared 50-word answer: phrasings of one fact are what makes it learnable.
    answer = (
        "No. tunelab trains on a CPU and uses a GPU when one is present. A 135M model finetunes "
        "in about seven minutes on two cores, and LoRA runs need less memory than full "
        "finetuning. Quantized training is not supported on a CPU, so keep the model in bfloat16 "
        "or float32 there."
    )
    asked = ["Is a GPU required to train?", "Can I train without a graphics card?",
             "Do I need CUDA?", "Will it run on my laptop?"]  # fmt: skip
    rows = qa_rows([*((q, answer) for q in asked), *OTHER, ("Do I need CUDA ?", answer)])
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert [(p.first, p.second) for p in report.near_dups + report.exact_dups] == [(2, 7)]


def test_a_split_keeps_a_question_and_its_typo_on_one_side(tmp_path):
    # The seeded split grouped exact questions only: "...pasword?" stayed in train while
    # "...password?" was held out, and `data check` then reported the leak.
    from tunelab.data.load import load_examples
    from tunelab.data.quality.dedup import near_questions
    from tunelab.data.question_keys import example_key
    from tunelab.data.split import drop_leaked, split_examples

    rows = [*qa_rows(OTHER * 1), *qa_rows([("How do I reset my password?", RESET),
                                           ("How do I reset my pasword?", RESET + " Then")])]  # fmt: skip
    rows += qa_rows([(f"What does setting {i} do?", f"It sets {i}.") for i in range(12)])
    examples = load_examples(str(write_rows(tmp_path / "d.jsonl", rows)))
    for seed in range(8):
        train, test = split_examples(examples, test_size=0.3, seed=seed, near=near_questions)
        sides = {example_key(e): "test" for e in test} | {example_key(e): "train" for e in train}
        reset = {side for key, side in sides.items() if "reset my" in key}
        assert len(reset) == 1, seed
        assert len(train) + len(test) == len(examples)
    # A separate test file: a training row asking its question with a typo is dropped too.
    test_file = load_examples(str(write_rows(tmp_path / "t.jsonl", qa_rows([rows[3].values()]))))
    kept, dropped = drop_leaked(examples, test_file, near_questions)
    assert dropped == 2 and not any("reset my" in example_key(e) for e in kept)


def test_data_split_says_how_many_questions_joined_the_test_side_as_near_repeats(tmp_path):
    # Each held-out question takes its typo'd twin along, unsaid: on numbered variants of one
    # question, test_size 0.1 held out 91% of the rows without a word.
    from tunelab.data.quality.dedup import near_questions
    from tunelab.data.write_split import split_file

    twins = [("How do I reset my password?", "How do I reset my pasword?"),
             ("How do I close my account?", "How do I close my acount?"),
             ("Where do I change my address?", "Where do I change my adress?")]  # fmt: skip
    rows = qa_rows([(q, f"Answer {i}.") for i, pair in enumerate(twins) for q in pair])
    data = write_rows(tmp_path / "d.jsonl", rows)
    train, test, said = split_file(data, tmp_path / "out", test_size=1, near=near_questions)
    assert len(test.read_text().splitlines()) == 2
    assert (
        said[-1] == "1 more question(s) held out beside the 1 drawn, as they nearly repeat one "
        "of them or ask its fact reworded"
    )


def test_training_says_how_many_questions_joined_the_test_side_as_near_repeats(tiny, tmp_path):
    # Training splits as `data split` does, and said nothing of the twins it held out.
    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.data.quality.dedup import near_questions

    twins = [("How do I reset my password?", "How do I reset my pasword?"),
             ("How do I close my account?", "How do I close my acount?"),
             ("Where do I change my address?", "Where do I change my adress?")]  # fmt: skip
    rows = qa_rows([(q, f"Answer {i}.") for i, pair in enumerate(twins) for q in pair])
    config = DataConfig(path=str(write_rows(tmp_path / "d.jsonl", rows)), test_size=1)
    data = prepare(config, tiny[1], near_questions)
    assert len(data.test_examples) == 2
    assert data.summary() == (
        "train 4 / test 2 examples; 0 exact duplicates removed; 1 more question(s) held out "
        "beside the 1 drawn, as they nearly repeat one of them or ask its fact reworded"
    )


SUPPORT = ("You are the support assistant of Acme Corporation. Answer politely, briefly and "
           "accurately, using only the official documentation, and say so when you do not know "
           "the answer to a customer's question.")  # fmt: skip
ASKED = ["How do I reset my password?", "What payment methods do you accept?",
         "Can I change my delivery address?", "Where is my order?",
         "How do I cancel my subscription?", "Do you ship to Canada?", "What is your refund policy?",
         "How long does shipping take?", "Can I talk to a human?", "Is there a mobile app?",
         "How do I update my email?", "What are your opening hours?"]  # fmt: skip


def chat(question: str, answer: str, system: str | None = SUPPORT) -> dict:
    turns = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return {"messages": ([{"role": "system", "content": system}] if system else []) + turns}


def test_a_system_prompt_or_instruction_every_row_carries_is_not_what_a_row_asks(tmp_path):
    # The system turn was part of every chat's question, and a long instruction of every Alpaca
    # row's: two unrelated test questions leaked into 8 of 20 training rows (dropped by
    # training), while the same questions asked without the system prompt did not leak.
    from tunelab.data.load import load_examples
    from tunelab.data.quality.dedup import near_questions
    from tunelab.data.split import drop_leaked, split_examples

    train = write_rows(
        tmp_path / "train.jsonl", [chat(q, f"Answer {i}.") for i, q in enumerate(ASKED)]
    )
    unrelated = write_rows(tmp_path / "test.jsonl", [chat("Do you sell hats?", "No."),
                                                     chat("How do I change my username?", "In settings.")])  # fmt: skip
    same = write_rows(tmp_path / "same.jsonl", [chat(q, "x", system=None) for q in ASKED[:3]])
    for test, leaks in ((unrelated, 0), (same, 3)):
        report = check_file(train, test, config=TINY)
        assert len({p.second for p in report.contamination}) == leaks, test
        _, dropped = drop_leaked(load_examples(train), load_examples(test), near_questions)
        assert dropped == leaks, test
    # Alpaca: one long instruction, the question in the input.
    instruction = "Answer the customer's question " + SUPPORT
    rows = [
        {"instruction": instruction, "input": q, "output": f"Answer {i}."}
        for i, q in enumerate(ASKED)
    ]
    alpaca = write_rows(tmp_path / "alpaca.jsonl", rows)
    asked = write_rows(tmp_path / "asked.jsonl", [{"instruction": instruction, "input": q, "output": "x"}
                                                  for q in ("Do you sell hats?", ASKED[4])])  # fmt: skip
    report = check_file(alpaca, asked, config=TINY)
    assert {p.second for p in report.contamination} == {1} and not report.near_dups
    _, dropped = drop_leaked(load_examples(alpaca), load_examples(asked), near_questions)
    assert dropped == 1
    # One question under two system prompts is one question: it goes to one side of a split,
    # both rows (they differ in their system prompt: no exact repeats).
    mixed = [
        chat(q, f"Answer {i}.", system=s)
        for s in (SUPPORT, "Be brief.")
        for i, q in enumerate(ASKED)
    ]
    examples = load_examples(write_rows(tmp_path / "mixed.jsonl", mixed))
    held, kept = split_examples(examples, test_size=0.3, seed=0, near=near_questions)[::-1]
    assert not {e.question for e in held} & {e.question for e in kept} and held
    assert len(held) + len(kept) == 24 and len(held) % 2 == 0
    assert not check_file(tmp_path / "mixed.jsonl", config=TINY).exact_dups


def test_the_phrasings_data_augment_wrote_of_one_row_are_no_near_duplicates(tmp_path):
    # `data augment --mode rules` asks "Which port ...?" again as "Quick question: which port
    # ...?"; `data check` called that a near-duplicate and `--fix` removed the phrasings augment
    # had just written. A near repeat that no augment run recorded as a rewrite is still one.
    from tunelab.data.generate.augment.augment_rows import AugmentConfig, augment

    asked = "Which TCP port does Quillstream Relay listen on for sensor traffic?"
    qa = write_rows(tmp_path / "qa.jsonl", qa_rows([(asked, "It listens on port 7431."), *OTHER]))
    more = tmp_path / "more.jsonl"
    augment(AugmentConfig(data=str(qa), output=str(more), mode="rules"))
    rows = [json.loads(line) for line in more.read_text().splitlines()]
    assert f"Quick question: {asked[0].lower()}{asked[1:]}" in [r["question"] for r in rows]
    report = check_file(more, config=TINY)
    assert report.near_dups == [] and report.removals() == {}
    for row in rows:
        row.pop("meta")
    report = check_file(write_rows(tmp_path / "pasted.jsonl", rows), config=TINY)
    assert report.near_dups
