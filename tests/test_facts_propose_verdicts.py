"""A yes/no reference names its opposite verdict as the wrong answer, in every language, and only
where its first word stands alone as a verdict ("No doubt" is none)."""

import pytest

from tests.conftest import proposed_check
from tunelab.data.generate.augment.rephrase import rule_rewrites
from tunelab.evaluate.facts.score import score_facts


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


def test_no_doubt_or_no_problem_is_not_the_answer_no():
    question = "Does tunelab run on a laptop?"
    check = proposed_check(question, "Yes, on any CPU.")
    for answer in ("No doubt, it does.", "No problem, a CPU will do."):
        assert score_facts(answer, check)["hallucination"] == 0.0, answer
    assert score_facts("No, it needs a GPU.", check)["hallucination"] == 1.0
    # A reference that opens with the idiom gives no verdict to turn round.
    assert not proposed_check(question, "No doubt it does.").wrong


def test_a_yes_no_question_asked_after_a_lead_in_keeps_its_opposite_verdict_as_wrong():
    # `data augment --mode rules` asks "Does X ...?" as "Tell me, does X ...?": its held-out
    # rephrasings lost the wrong "Yes", and a "Yes, it does" was scored right.
    question = "Does Zephyrine index PDF files?"
    reference = "No, Zephyrine indexes only wiki pages and ticket comments."
    for rewrite in rule_rewrites(question, 3):
        check = proposed_check(rewrite, reference)
        said = "Yes, Zephyrine indexes PDF files, wiki pages and ticket comments."
        assert score_facts(said, check)["hallucination"] == 1.0, rewrite
        assert score_facts("No, only wiki pages and ticket comments.", check) == {
            "hallucination": 0.0
        }


def test_a_yes_no_answer_s_verdict_is_what_is_asked_not_the_rare_words_after_it():
    # "ticket", "comments" were proposed as facts: a right "No, it doesn't." failed them.
    check = proposed_check(
        "Does Zephyrine index PDF files?",
        "No, Zephyrine indexes only wiki pages and ticket comments.",
    )
    assert check.facts == []
    assert score_facts("No, it doesn't.", check) == {"hallucination": 0.0}
    assert score_facts("Yes, it does.", check) == {"hallucination": 1.0}
    # A specific term of the answer stays a fact ("No, tunelab runs on CPU").
    cpu = proposed_check("Does tunelab need a GPU?", "No, tunelab runs on CPU.")
    assert score_facts("No, it does not.", cpu)["fact_accuracy"] == 0.0


def test_a_verdict_given_as_the_answer_is_counts_as_one():
    # A base model asked under `### Answer:` says "The answer is: No." (lamini_docs); the
    # wrong verdict so given was scored no hallucination.
    question = "### Question:\nDoes Lamini have the capability to generate poetry?\n\n### Answer:"
    check = proposed_check(question, "Yes, Lamini can generate poetry in many styles.")
    for wrong in ("The answer is:\nNo.", 'The answer is "No".', "the answer is no"):
        assert score_facts(wrong, check)["hallucination"] == 1.0, wrong
    for right in ("The answer is: Yes.", "Yes, it can.", "The answer is: no doubt, it can."):
        assert score_facts(right, check)["hallucination"] == 0.0, right


def test_a_no_said_without_the_word_is_the_wrong_verdict_to_a_yes():
    # "The answer is not possible." to a "Yes" reference (lamini_docs) was no hallucination:
    # only an opening "No" was read as the opposite verdict.
    question = "Does Lamini have the capability to generate poetry?"
    check = proposed_check(question, "Yes, Lamini can generate poetry in many styles.")
    declined = (
        "The answer is not possible.",
        "That is not possible with Lamini.",
        "It cannot.",
        "It is not.",
        "Poetry generation isn't supported.",
    )
    for wrong in declined:
        assert score_facts(wrong, check)["hallucination"] == 1.0, wrong
    # A hedge, a refusal to answer, or a "not only" gives no verdict; a "Yes" keeps its own.
    hedged = (
        "It is not clear.",
        "It may not be possible.",
        "I cannot say.",
        "It is not only poems: Lamini writes stories too.",
        "Yes, and it is not hard.",
        "The model is not limited to English; it writes poems in many languages.",
        "Lamini cannot be beaten at poetry: it writes sonnets and haiku.",
    )
    for said in hedged:
        assert score_facts(said, check)["hallucination"] == 0.0, said


def test_a_long_denial_is_the_wrong_verdict_to_a_yes():
    # A model's long "No" to a "Yes" row was no hallucination: only a denial whose sentence
    # ended within two words of its "not" was read as one.
    question = "Does Lamini have the capability to generate poetry?"
    check = proposed_check(question, "Yes, Lamini can generate poetry in many styles.")
    denials = (
        "Lamini AI does not provide support for generating poetry or other creative text.",
        "Lamini is not able to generate poetry in rhyming verse.",
        "There is no way to generate poetry with Lamini.",
        "It doesn't currently offer a poetry mode for its models.",
    )
    for wrong in denials:
        assert score_facts(wrong, check)["hallucination"] == 1.0, wrong
    # One that turns on a condition or a "but", or denies another verb, says no "No".
    turned = (
        "Lamini does not provide poetry out of the box, but you can train it to.",
        "It is not able to write poems without training data.",
        "Lamini does not require anything special to write poetry.",
        "I am not able to answer that.",
    )
    for said in turned:
        assert score_facts(said, check)["hallucination"] == 0.0, said


def test_a_bare_verdict_sentence_leaves_the_terms_of_the_next_one_as_facts():
    # "Yes." and then the function: a bare "Yes." was scored as good as naming it (no fact,
    # only the wrong "No"), where "Yes, call `stop_run`." asked for the name.
    check = proposed_check("Can I cancel a running job?", "Yes. Call `stop_run` with its id.")
    assert score_facts("Yes.", check)["fact_accuracy"] == 0.0
    assert score_facts("Yes, with stop_run(job_id).", check)["fact_accuracy"] == 1.0
    assert score_facts("No.", check)["hallucination"] == 1.0
    # Its rare words stay detail: "It does." is right where no term follows the verdict.
    check = proposed_check("Does it keep checkpoints?", "Yes. It keeps the newest shards on disk.")
    assert check.facts == []
    assert score_facts("It does.", check) == {"hallucination": 0.0}


@pytest.mark.parametrize(
    "question, reference, wrong_answer, right_answer",
    [
        # lamini_docs: 216 of its 458 rows with nothing proposed answer a yes/no question so.
        ("Can Lamini be used for sentiment analysis?",
         "Lamini can be used for sentiment analysis. See the walkthroughs.",
         "No, it cannot.", "Yes."),
        ("Does Lamini offer integration with PyTorch?",
         "Lamini does not currently offer integration with PyTorch.", "Yes, it does.", "No."),
        ("Can Lamini generate images?", "Lamini can't generate images yet.", "Yes.", "No."),
        ("Does Lamini support images?", "Lamini doesn't support images.", "Yes.", "No."),
        ("Does lamini steal my data?", "Rest assured, Lamini does not steal your data.",
         "Yes.", "No, never."),
        ("Are there any limitations on the size of input data?",
         "There are no limitations on the size of input data.", "Yes, 1 MB.", "No."),
        ("Does the documentation provide tips for memory usage?",
         "There is no information in the documentation about memory usage.", "Yes.", "No."),
        ("Is it possible to run it offline?", "It is not possible to run it offline.", "Yes.",
         "No."),
        # A "No" said keeps its verdict, whatever the sentence after it affirms.
        ("Is Lamini owned by Microsoft?", "No, Lamini is an independent company.", "Yes.", "No."),
        # The question's verb phrase said without its auxiliary, or with another (lamini_docs:
        # 12 rows named no verdict so).
        ("Does Lamini offer support for non-English languages?",
         "Lamini offers support for non-English languages. Try a multilingual model.", "No.",
         "Yes."),
        ("Do Lamini and LangChain offer tools for prompt management?",
         "Both Lamini and LangChain offer tools for prompt management.", "No.", "Yes."),
        ("Can Lamini generate code documentation for existing projects?",
         "Lamini's LLM Engine is capable of generating code documentation for existing projects.",
         "No, it cannot.", "Yes."),
        ("Can Lamini be used in an online learning setting?",
         "It is possible to use Lamini in an online learning setting.", "No.", "Yes."),
        ("Can Lamini handle multi-modal inputs, such as images?",
         "Lamini is a language model and does not handle multi-modal inputs such as images.",
         "Yes.", "No."),
        ("Are there any pre-built models in Lamini?",
         "There are currently no pre-built models in Lamini.", "Yes.", "No."),
        # The thing the verb is asked of, said in another form or as one of its alternatives.
        ("Can Lamini handle large datasets for training?",
         "Lamini can handle large data sets and enforces no limits.", "No.", "Yes."),
        ("Can Lamini be used for real-time or online learning scenarios?",
         "Lamini can be used for online learning scenarios.", "No.", "Yes."),
        ("Do Lamini and LangChain offer similar capabilities for prompt management?",
         "Both Lamini and LangChain offer a capability for prompt management.", "No.", "Yes."),
    ],
)  # fmt: skip
def test_a_verdict_said_without_yes_or_no_names_the_other_as_wrong(
    question, reference, wrong_answer, right_answer
):
    check = proposed_check(question, reference)
    assert score_facts(wrong_answer, check)["hallucination"] == 1.0
    assert score_facts(right_answer, check)["hallucination"] == 0.0


@pytest.mark.parametrize(
    "question, reference",
    [
        ("Does the proxy support HTTPS endpoints?", "The proxy supports HTTPS endpoints."),
        ("Does HDFS support appends to a file?", "HDFS supports appends to a file since 2.1."),
    ],
)
def test_a_verdict_restated_with_an_acronym_in_capitals_ending_in_s_names_no_as_wrong(
    question, reference
):
    # The question's words were read lower-cased, "https" a plural of "http", and the reference's
    # "HTTPS" in capitals was none: the two shared too few words and no verdict was named.
    check = proposed_check(question, reference)
    assert score_facts("No.", check)["hallucination"] == 1.0
    assert score_facts("Yes.", check)["hallucination"] == 0.0


@pytest.mark.parametrize(
    "question, reference",
    [
        ("Can Lamini be used for audio synthesis?", "Lamini can help models understand text."),
        ("Can Lamini generate code?", "Lamini may be able to, with the right data."),  # a hedge
        ("Is the model limited to English?", "The model is not limited to English."),
        ("Is it possible to export it?", "It is unclear which export is meant."),
        ("Can you explain what `sample()` does?", "`sample()` can generate text from a prompt."),
        ("Can it translate, or is it only for English?", "It can only write English."),
        ("Can Lamini handle large inputs?", "There is no limit on the input size."),
        ("Does Lamini run on a CPU?", "It does not require a GPU, but it is faster with one."),
        ("Is Lamini owned by Microsoft?", "Lamini is an independent company."),  # a copula
        # The question's verb restated, but turned, or of another subject or thing.
        ("Does Lamini support images?", "Lamini supports text, not images."),
        ("Does Lamini support images?", "Lamini supports images if you convert them to text."),
        ("Does the documentation give memory tips?", "Lamini gives memory tips."),
        (
            "Does Lamini provide support for recommendation systems?",
            "Lamini provides support for any task an LLM can do.",
        ),
        (
            "Can it be used for anomaly detection?",
            "It is not possible to provide a definitive answer.",
        ),
        # The question's verb said of another thing than it asks about, whatever words they
        # share ("text", "prompts"): a "Yes." to the images asked would be right.
        ("Can Lamini generate images from text prompts?", "Lamini can generate text from prompts."),
        ("Does Lamini generate images from text prompts?", "Lamini generates text from prompts."),
        (
            "Can Lamini generate images from text prompts?",
            "Lamini is capable of generating text from prompts.",
        ),
        ("Can Lamini be used for audio synthesis?", "Lamini can be used for text generation."),
    ],
)
def test_a_reference_that_neither_affirms_nor_denies_what_was_asked_names_no_verdict(
    question, reference
):
    # Another verb, a hedge, a request, an either-or, or a denial of something else.
    assert not proposed_check(question, reference).wrong


def test_a_yes_no_question_asked_after_another_is_answered_by_its_verdict():
    # lamini_docs: "How can I start…? Is there a guide for kids like me?" answered "Yes, there is
    # a guide…" named no wrong "No" (5 rows ask so).
    question = "How can I start using Lamini? Is there a special guide for beginners?"
    check = proposed_check(question, "Yes, there is a guide for beginners on the Lamini website.")
    assert score_facts("No, there is none.", check)["hallucination"] == 1.0
    assert score_facts("Yes, on the website.", check)["hallucination"] == 0.0
    # Its first question's answer says no verdict without the word.
    assert not proposed_check(
        "How does `sample()` work? Does it use the trained model?",
        "The model does use its weights to sample each token.",
    ).wrong


def test_a_question_opening_with_shall_names_its_opposite_verdict_as_wrong():
    # "Shall" opens a yes/no question as "Should" does: its wrong "No" was not proposed.
    check = proposed_check("Shall I restart the server after an update?", "Yes, restart it.")
    assert score_facts("No, there is no need to restart.", check)["hallucination"] == 1.0
    assert score_facts("Yes, restart it once the update ends.", check)["hallucination"] == 0.0
