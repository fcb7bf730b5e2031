"""`tunelab data facts`: facts read off reference answers catch a right-sounding answer with the
wrong value, which token F1 calls right; a row's own facts are never replaced."""

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import proposed_check
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.evaluate.derive_facts import propose
from tunelab.evaluate.facts import parse_fact_check, read_fact_checks, score_facts
from tunelab.evaluate.facts_file import propose_file, propose_rows
from tunelab.evaluate.metrics import token_f1


def test_a_wrong_value_in_the_reference_s_words_misses_the_fact():
    reference = "The LoRA rank r defaults to 16."
    check = proposed_check("What LoRA rank does tunelab use by default?", reference)
    wrong = "The LoRA rank r defaults to 8."
    assert token_f1(wrong, reference) > 0.8  # token F1 calls it right
    assert score_facts(wrong, check)["fact_accuracy"] == 0.0
    assert score_facts("It uses 16 unless you set it.", check)["fact_accuracy"] == 1.0


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


def test_a_yes_no_answer_names_its_opposite_as_wrong_even_under_template_markers():
    question = "### Question:\nDoes tunelab need a GPU?\n\n### Answer:"
    check = proposed_check(question, "No, tunelab runs on CPU; it uses a GPU when there is one.")
    assert score_facts("Yes, a GPU is needed.", check)["hallucination"] == 1.0
    assert score_facts("No: it runs on the CPU.", check) == {
        "fact_accuracy": 1.0, "fact_recall": 1.0, "hallucination": 0.0,
    }  # fmt: skip


def test_a_yes_no_answer_in_other_languages_names_its_opposite_as_wrong():
    rows = [
        ("tunelab需要GPU吗？", "不需要，它在CPU上运行。", "是的，需要GPU。", "不需要。"),
        ("是不是需要GPU？", "是的。", "不是。", "是的，需要。"),
        ("GPUは必要ですか？", "いいえ、CPUで動きます。", "はい、必要です。", "いいえ。"),
        ("क्या GPU चाहिए?", "नहीं, CPU पर चलता है।", "हाँ, चाहिए।", "नहीं।"),
        ("Braucht tunelab eine GPU?", "Nein, es läuft auf der CPU.", "Ja.", "Nein."),
        ("¿Necesita una GPU?", "No, funciona en la CPU.", "Sí, la necesita.", "No."),
        ("Нужен ли GPU?", "Нет, он работает на CPU.", "Да.", "Нет."),
    ]
    for question, reference, wrong_answer, right_answer in rows:
        check = proposed_check(question, reference)
        assert score_facts(wrong_answer, check)["hallucination"] == 1.0, question
        assert score_facts(right_answer, check)["hallucination"] == 0.0, question
    # Not a yes/no question: an answer's first word is no verdict.
    assert not proposed_check("首都是哪里？", "是北京。").wrong
    assert not proposed_check("What is it?", "No idea, ask the team.").wrong
    assert not proposed_check(
        "为什么我还是没有看到输出？", "是因为日志级别太高。"
    ).wrong  # 还是没有
    assert not proposed_check("What kind of memory is used?", "Non-volatile memory.").wrong
    assert not proposed_check("GPU कहाँ बना?", "हांगकांग में।").wrong  # Hong Kong, not हां
    # A verdict stands alone: these open with the word, and are no verdict.
    assert not proposed_check("LoRA的秩默认是8吗？", "是16，不是8。").wrong  # "it is 16"
    needs = proposed_check("需要GPU吗？", "不需要。")
    port = proposed_check("默认端口是8080吗？", "是的，是8080。")
    spanish = proposed_check("¿Necesito una GPU?", "No, la CPU basta.")
    for check, answer in [
        (needs, "可以只用CPU运行，不需要GPU。"),  # "you can run it on the CPU alone"
        (needs, "有CPU就够了。"),  # "a CPU is enough"
        (port, "没错，是8080。"),  # "right"
        (
            proposed_check("它支持LoRA吗？", "是的，支持。"),
            "不仅支持LoRA，还支持全量微调。",
        ),  # "not only"
        (spanish, "Si quieres velocidad, sí; pero no es necesaria."),  # "if you want"
    ]:
        assert score_facts(answer, check)["hallucination"] == 0.0, answer


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


def test_the_file_keeps_every_row_s_fields_and_own_facts_and_eval_reads_it(tmp_path):
    rows = [
        {"instruction": "What does save_every default to?", "output": "It defaults to 100 steps.",
         "kind": "defaults"},
        {"instruction": "Is a GPU needed?", "output": "No, a CPU will do.", "facts": [["CPU"]]},
    ]  # fmt: skip
    source = tmp_path / "test.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "with_facts.jsonl"
    result = CliRunner().invoke(app, ["data", "facts", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert written[0] == {**rows[0], "facts": [["100"]], "facts_from": "reference"}
    assert written[1] == rows[1]  # its own facts, no proposed wrong answer added
    checks = read_fact_checks(out)
    assert len(checks) == 2
    # A person reviews the file; proposing again from the source must not throw that away.
    out.write_text(out.read_text().replace('[["100"]]', '[["100 steps"]]'))
    again = CliRunner().invoke(app, ["data", "facts", str(source), "-o", str(out)])
    assert again.exit_code != 0 and "--overwrite" in str(again.exception)
    assert '[["100 steps"]]' in out.read_text()
    # Given as its own input, its reviewed rows stay as they are.
    result = CliRunner().invoke(app, ["data", "facts", str(out), "-o", str(out)])
    assert result.exit_code == 0 and '[["100 steps"]]' in out.read_text()
    result = CliRunner().invoke(app, ["data", "facts", str(source), "-o", str(out), "--overwrite"])
    assert result.exit_code == 0 and '[["100 steps"]]' not in out.read_text()


def test_an_abbreviation_is_neither_a_fact_nor_the_end_of_the_first_sentence():
    assert propose("Which model fits?", "Use a small one, e.g. SmolLM2, on a CPU.", {}) == (
        [["SmolLM2"], ["CPU"]], [],
    )  # fmt: skip
    facts, _ = propose("Which port?", "The default, i.e. 8080.", {})
    assert facts == [["8080"]]


def test_facts_a_row_names_in_a_form_eval_cannot_read_are_reported_by_their_row(tmp_path):
    source = tmp_path / "test.jsonl"
    rows = [
        {"question": "Which port?", "answer": "Port 8080.", "facts": [["8080"]]},
        {"question": "Which rank?", "answer": "Rank 16.", "facts": "16"},  # not a list
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(TunelabError, match=r"test\.jsonl:2: 'facts' and 'wrong' must be lists"):
        propose_file(source, tmp_path / "with_facts.jsonl")


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


def test_the_rows_left_without_facts_are_named(tmp_path):
    rows = [
        {"question": "Which port?", "answer": "Port 8080."},
        {"question": "中国的首都是哪里?", "answer": "北京是中国的首都。"},
        {"question": "Can it write poems?", "answer": "Lamini has the ability to write poems."},
    ]
    source = tmp_path / "test.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    assert propose_file(source, out) == (3, 2, [f"{source}:3"], [f"{source}:2"], 0, [])
    marks = [json.loads(line).get("facts_from") for line in out.read_text().splitlines()]
    assert marks == ["reference", None, "reference words"]  # a rare word is a weaker guess
    result = CliRunner().invoke(
        app, ["data", "facts", str(source), "-o", str(tmp_path / "o.jsonl")]
    )
    assert "1 row has no facts" in result.output and f"{source}:2" in result.output
    assert "1 of them had no specific term" in result.output and f"{source}:3" in result.output


def test_a_question_that_asks_what_is_not_gets_the_facts_its_answer_negates():
    # "Windows is not supported" denied Windows: the row got no fact at all.
    facts, _ = propose("Which OS is not supported?", "Windows is not supported; use Linux.", {})
    assert facts and facts[0] == ["windows"]
    facts, _ = propose("Which formats does it not read?", "It does not read XML files.", {})
    assert facts == [["XML"]]


def test_an_adverb_that_opens_a_sentence_is_no_part_of_a_name():
    facts, _ = propose(
        "Who do they target?", "Both Lamini and MosaicML target large organizations.", {}
    )
    assert all(not alt.startswith("Both") for fact in facts for alt in fact)


def test_a_term_the_reference_negates_is_no_fact_of_it():
    # The reference must pass its own check: "not 8" does not state 8.
    assert propose("What is the default rank?", "The default rank is 16, not 8.", {})[0] == [
        ["16", "sixteen"]
    ]
    rows = [
        {"question": "Is it built for GPUs?",
         "answer": "It is not specifically designed for clusters, so portability matters."},
        {"question": "Why?", "answer": "It keeps portability simple."},
    ]  # fmt: skip
    out, _ = propose_rows(rows)
    assert ["specifically"] not in out[0]["facts"] and ["clusters"] not in out[0]["facts"]
    for row in out:
        check = parse_fact_check(row, "test")
        assert row["facts"] and score_facts(row["answer"], check)["fact_accuracy"] == 1.0, row


def test_no_doubt_or_no_problem_is_not_the_answer_no():
    question = "Does tunelab run on a laptop?"
    check = proposed_check(question, "Yes, on any CPU.")
    for answer in ("No doubt, it does.", "No problem, a CPU will do."):
        assert score_facts(answer, check)["hallucination"] == 0.0, answer
    assert score_facts("No, it needs a GPU.", check)["hallucination"] == 1.0
    # A reference that opens with the idiom gives no verdict to turn round.
    assert not proposed_check(question, "No doubt it does.").wrong


def test_a_forward_looking_wrong_is_no_retraction_of_the_reference():
    # "It's wrong to use 1e-2" made 1e-2 the fact and dropped the right value.
    rows = [
        {"question": "What learning rate should I use?",
         "answer": "Use 2e-4. It's wrong to use 1e-2 with LoRA."},
        {"question": "What is the maximum?",
         "answer": "The maximum is 2048 tokens; do not exceed 2048."},
    ]  # fmt: skip
    proposed, _ = propose_rows(rows, 2)
    assert [row["facts"] for row in proposed] == [[["2e-4"]], [["2048"]]]


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


def test_facts_are_read_from_the_first_sentence_alone():
    # The answer is there; a later sentence adds detail the question did not ask for.
    facts, wrong = propose("Does it support Windows?", "No. It only runs on Linux and macOS.", {})
    assert (facts, wrong) == ([], [{"regex": r"^\W*yes\b"}])
    rows = [
        {"question": "How does it scale?",
         "answer": "It shards the weights across machines. It wraps DistributedDataParallel."},
        {"question": "Why?", "answer": "It keeps the weights small."},
    ]  # fmt: skip
    out, _ = propose_rows(rows)
    assert out[0]["facts"] == [["shards"], ["machines"]]


@pytest.mark.parametrize("opening", ["I wish!", "Absolutely!", "Of course!", "Sure thing."])
def test_an_opening_that_says_nothing_leaves_the_facts_to_the_next_sentence(opening):
    answer = f"{opening} The port is 8080. Change it in config.yaml."
    assert propose("Which port does it listen on?", answer, {}) == ([["8080"]], [])
    # "Yes!" answers; what follows is detail.
    assert propose("Can I change the port?", "Yes! Set port: 9090 in config.yaml.", {}) == (
        [],
        [{"regex": r"^\W*no\b(?!\s+(?:doubt|matter|problem|question|wonder|worries)\b)"}],
    )


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
    facts, _ = propose("Does it need a cloud account?", "No, it works fully offline.", {})
    assert facts == [["offline"]]


def test_a_file_of_custom_columns_is_read_through_the_fields_set(tmp_path):
    # `--set fields.question=Query` was taken and dropped: every row "of no known shape".
    source = tmp_path / "support.jsonl"
    source.write_text(json.dumps({"Query": "Which port?", "Response": "Port 8080."}) + "\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app,
        ["data", "facts", str(source), "-o", str(out),
         "--set", "fields.question=Query", "--set", "fields.answer=Response"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text())
    assert row["Query"] == "Which port?" and row["facts"] == [["8080"]]  # its columns kept


@pytest.mark.parametrize(
    "answer",
    [
        "The default poll_interval is 15 seconds (it was 30 seconds before version 3.2.0).",
        "The default poll_interval changed from 30 to 15 seconds.",
    ],
)
def test_a_value_the_reference_says_was_so_before_is_no_fact(answer):
    # From a newcomer's walk: "30 seconds" was a fact, so "probably 30 seconds" got half the
    # facts and a right "15 seconds" could never state both.
    facts, _ = propose("What is the default poll_interval?", answer, {})
    assert facts == [["15 seconds", "15 second", "15 sec"]]
    assert propose("Which route?", "It runs from Berlin to Paris.", {})[0] == [
        ["Berlin"],
        ["Paris"],
    ]


def test_a_question_asking_two_things_takes_facts_from_the_answers_to_both():
    # "... mean and how do I fix it?": the fix, in the third sentence, was no fact, so an
    # answer without it was right.
    facts, _ = propose(
        "What does error FT-401 mean and how do I fix it?",
        "Error FT-401 means the server rejected the certificate. The clock is probably wrong by "
        "more than 5 minutes. Enable NTP with `sudo timedatectl set-ntp true`.",
        {},
    )
    assert ["sudo timedatectl set-ntp true"] in facts


def test_a_contraction_s_first_part_is_no_fact():
    # normalize reads "hasn't" as "hasn t": "hasn" was proposed as lamini_docs' fact.
    facts, _ = propose("Who invested?", "Lamini hasn't released its investor list publicly.", {})
    assert ["hasn"] not in facts and facts
    assert propose("Is X supported?", "Sadly it doesn't, and won't.", {})[0] == []
    assert propose("What is the default password?", "There is none.", {})[0] == []


def test_a_missing_test_file_is_one_line_naming_the_file_beside_it(tmp_path):
    # It was a FileNotFoundError traceback, where data check and data split say one line.
    from tunelab.errors import TunelabError
    from tunelab.evaluate.facts_file import propose_file

    (tmp_path / "test.jsonl").write_text('{"question": "q?", "answer": "It is 42."}\n')
    with pytest.raises(TunelabError, match=r"data file not found: .*tset.jsonl \(did you mean"):
        propose_file(tmp_path / "tset.jsonl", tmp_path / "out.jsonl")


@pytest.mark.parametrize(
    ("answer", "facts"),
    [
        ("1. Unplug the router. 2. Wait 30 seconds.", [["unplug"]]),
        ("Step 1: hold the button for 10 seconds.", [["10 seconds", "10 second", "10 sec"]]),
        ("- Open Settings\n- Tap Reset", [["Open Settings"], ["Tap Reset"]]),
        # A count that is the answer stays one.
        ("1 admin per workspace.", [["1", "one"]]),
    ],
)
def test_a_list_s_numbering_is_no_fact(answer, facts):
    assert propose("How do I reset the router?", answer, {})[0] == facts


def test_a_yes_no_row_given_only_a_wrong_verdict_is_not_called_scored_by_wording(tmp_path):
    rows = [
        {"question": "Does it run on Windows?", "answer": "No."},
        {"question": "Which port?", "answer": "Port 8080."},
    ]
    source = tmp_path / "test.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    found = propose_file(source, tmp_path / "out.jsonl")
    assert (found.proposed, found.left, found.verdicts) == (1, [], [f"{source}:1"])
    result = CliRunner().invoke(
        app, ["data", "facts", str(source), "-o", str(tmp_path / "o.jsonl")]
    )
    said = " ".join(result.output.split())
    assert "facts proposed for 1, and the opposite verdict as a wrong answer for 1 yes/no" in said
    assert "no facts" not in said
