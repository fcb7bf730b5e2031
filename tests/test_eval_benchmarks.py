"""Benchmark tasks: each reads its published format and builds the harness's exact prompts."""

import json
import os
from pathlib import Path

import pytest
import torch

from tunelab.errors import TunelabError
from tunelab.evaluate.bench.loglik import encode_pair
from tunelab.evaluate.bench.score import BenchConfig, run_task
from tunelab.evaluate.bench.tasks import get_task
from tunelab.evaluate.bench.tasks.base import Doc
from tunelab.evaluate.bench.tasks.hellaswag import preprocess
from tunelab.run import load_model

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
SHARED = Path(
    os.environ.get(
        "TUNELAB_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared/data/benchmarks"
    )
)
needs_shared = pytest.mark.skipif(
    not (SHARED / "mmlu").is_dir(), reason=f"benchmark copies not at {SHARED}"
)


def test_arc_prompt_and_labels_including_numeric_and_five_choices():
    docs = get_task("arc_easy").load(FIXTURES)
    assert docs[0].context == "Question: Which gas do plants take in from the air?\nAnswer:"
    assert docs[0].choices == ["oxygen", "carbon dioxide", "helium", "neon"] and docs[0].gold == 1
    assert docs[1].gold == 2  # answerKey "3" among labels 1-4
    assert len(docs[2].choices) == 5
    assert len(get_task("arc_challenge").load(FIXTURES, limit=1)) == 1


def test_hellaswag_context_and_endings_are_cleaned_as_the_harness_does():
    docs = get_task("hellaswag").load(FIXTURES)
    assert docs[0].context == "Roof shingle removal: A man is sitting on a roof. He"
    assert docs[0].gold == 3
    assert docs[1].context == "Home and Garden: How to clean a grill. Heat the grill."
    # Stripping comes before tag removal, so a leading tag leaves a space (the harness does this too).
    assert docs[1].choices[0] == " Scrub the grates with a wire brush.. Rinse them."
    assert docs[1].choices[1] == " Paint the grill blue."


def test_hellaswag_preprocess_agrees_with_lm_eval():
    utils = pytest.importorskip("lm_eval.tasks.hellaswag.utils")
    for text in ["[header] How to x [title] Do y.", " a  [step] b [substeps] c  d ", "plain"]:
        assert preprocess(text) == utils.preprocess(text)


def test_mmlu_reads_crlf_quoted_newline_and_no_final_newline():
    docs = get_task("mmlu").load(FIXTURES)
    assert [d.group for d in docs] == ["abstract_algebra"] * 2 + ["anatomy"] * 2
    header = (
        "The following are multiple choice questions (with answers) about abstract algebra.\n\n"
    )
    assert docs[0].context == header + "What is 2+2, in base 10?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:"
    assert docs[0].choices == ["A", "B", "C", "D"] and docs[0].gold == 1
    assert docs[2].context.endswith(
        "Which of these is a\nline break question?\nA. yes\nB. no\nC. maybe\nD. never\nAnswer:"
    )
    assert docs[3].gold == 0


def test_mmlu_fewshot_takes_the_first_dev_examples_after_the_header():
    doc = get_task("mmlu_anatomy").load(FIXTURES, fewshot=5)[0]
    blocks = doc.context.split("\n\n")
    assert blocks[0] == "The following are multiple choice questions (with answers) about anatomy."
    assert blocks[1] == "Dev question 1 about anatomy?\nA. w1\nB. x1\nC. y1\nD. z1\nAnswer: C"
    assert len(blocks) == 7 and "Dev question 6" not in doc.context


def test_mmlu_fewshot_without_the_dev_file_names_it(tmp_path):
    # A folder of test CSVs alone: --fewshot crashed with a bare FileNotFoundError.
    (tmp_path / "mmlu" / "test").mkdir(parents=True)
    test_csv = FIXTURES / "mmlu" / "test" / "anatomy_test.csv"
    (tmp_path / "mmlu" / "test" / test_csv.name).write_bytes(test_csv.read_bytes())
    assert len(get_task("mmlu").load(tmp_path)) == 2  # zero-shot needs no dev file
    with pytest.raises(TunelabError, match=r"--fewshot 2 takes its examples from .*anatomy_dev"):
        get_task("mmlu").load(tmp_path, fewshot=2)


def test_truthfulqa_primer_bom_and_mc2_probability_share():
    mc1, mc2 = get_task("truthfulqa_mc1"), get_task("truthfulqa_mc2")
    doc = mc1.load(FIXTURES)[1]
    assert doc.context.startswith(
        "Q: What is human life expectancy in the United States?\nA: Human"
    )
    assert doc.context.endswith("Barcelona, Spain.\n\nQ: Can pigs fly?\nA:")
    assert doc.choices[0] == "No, pigs cannot fly." and doc.gold == 0
    doc2 = mc2.load(FIXTURES)[1]
    assert doc2.labels == [1, 0, 1, 0]
    lls = [float(x) for x in torch.log(torch.tensor([0.4, 0.1, 0.2, 0.3]))]
    # lm-eval 0.4.13 sums every true answer, 0.4 + 0.2, a true one after a false one too (items
    # 164 and 607 of mc_task.json); before its mc2 version 3.0 it took 0.4, those before the
    # first false one.
    assert mc2.score(doc2, lls)["acc"] == pytest.approx(0.6)
    assert mc1.score(doc, [-1.0, -0.5, -3.0]) == {"acc": 0.0}


def test_a_truthfulqa_item_with_labels_not_0_1_or_a_question_not_text_is_named(tmp_path):
    (tmp_path / "truthfulqa").mkdir()
    mc = tmp_path / "truthfulqa" / "mc_task.json"
    targets = {"mc1_targets": {"a": 1, "b": 0}, "mc2_targets": {"a": 1, "b": 0}}
    for item, wrong in [
        ({**targets, "question": "q", "mc2_targets": {"a": "yes"}}, "field 'mc2_targets'"),
        ({**targets, "question": "q", "mc2_targets": {"a": None}}, "field 'mc2_targets'"),
        ({**targets, "question": 5}, "'question' must be text"),
    ]:  # each raised a bare ValueError or TypeError
        mc.write_text(json.dumps([item]))
        with pytest.raises(TunelabError, match=rf"mc_task.json\[0\]: {wrong}"):
            get_task("truthfulqa_mc2").load(tmp_path)


def test_truthfulqa_mc1_scores_by_the_label_wherever_the_true_answer_is_listed(tmp_path):
    # The original files list MC1's one true answer first, as the harness assumes (gold 0); a
    # copy with its answers reordered was scored against whatever came first, without a word.
    (tmp_path / "truthfulqa").mkdir()
    mc = tmp_path / "truthfulqa" / "mc_task.json"
    item = {"question": "Can pigs fly?", "mc2_targets": {"No.": 1, "Yes.": 0}}
    mc.write_text(json.dumps([{**item, "mc1_targets": {"Yes.": 0, "No.": 1}}]))
    mc1 = get_task("truthfulqa_mc1")
    (doc,) = mc1.load(tmp_path)
    assert doc.choices == ["Yes.", "No."] and doc.gold == 1
    assert mc1.score(doc, [-3.0, -1.0]) == {"acc": 1.0}  # "No." likeliest: right
    # MC1 has one true answer: two is a file of another shape (mc2's targets under mc1's name).
    mc.write_text(json.dumps([{**item, "mc1_targets": {"No.": 1, "Never.": 1, "Yes.": 0}}]))
    with pytest.raises(TunelabError, match=r"mc_task.json\[0\]: mc1_targets has 2 true answers"):
        mc1.load(tmp_path)


def test_mc2_of_very_unlikely_answers_is_a_share_not_nan():
    # Long answers under a weak model: exp(-800) is 0.0 in float64, and 0 / 0 would be NaN.
    doc = Doc("ctx", ["true", "false"], gold=0, labels=[1, 0])
    acc = get_task("truthfulqa_mc2").score(
        doc, [-800.0, -800.0 - float(torch.log(torch.tensor(3.0)))]
    )
    assert acc["acc"] == pytest.approx(0.75)


def test_acc_norm_divides_by_choice_characters():
    doc = Doc("ctx", ["a", "bbbbbbbbbb"], gold=1)
    assert get_task("arc_easy").score(doc, [-2.0, -10.0]) == {"acc": 0.0, "acc_norm": 1.0}


def test_saved_hugging_face_dataset_gives_the_same_docs(tmp_path):
    from datasets import Dataset, DatasetDict

    rows = [json.loads(line) for line in (FIXTURES / "arc/ARC-Easy/ARC-Easy-Test.jsonl").open()]
    hf = [
        {
            "id": r["id"],
            "question": r["question"]["stem"],
            "answerKey": r["answerKey"],
            "choices": {
                "text": [c["text"] for c in r["question"]["choices"]],
                "label": [c["label"] for c in r["question"]["choices"]],
            },
        }
        for r in rows
    ]
    DatasetDict({"test": Dataset.from_list(hf)}).save_to_disk(str(tmp_path / "arc_easy"))
    ours = get_task("arc_easy").load(tmp_path)
    original = get_task("arc_easy").load(FIXTURES)
    assert [(d.context, d.choices, d.gold) for d in ours] == [
        (d.context, d.choices, d.gold) for d in original
    ]


def test_bad_rows_and_missing_data_name_the_file(tmp_path):
    bad = tmp_path / "arc" / "ARC-Easy"
    bad.mkdir(parents=True)
    (bad / "ARC-Easy-Test.jsonl").write_text(
        '{"question": {"stem": "q", "choices": [{"text": "a", "label": "A"}]}, "answerKey": "Z"}\n'
    )
    with pytest.raises(TunelabError, match=r"ARC-Easy-Test.jsonl:1: answerKey 'Z'"):
        get_task("arc_easy").load(tmp_path)
    with pytest.raises(TunelabError, match="hellaswag: data not found"):
        get_task("hellaswag").load(tmp_path)
    with pytest.raises(TunelabError, match="unknown benchmark task"):
        get_task("arc_hard")
    # A saved cais/mmlu scored a mistyped subject 0 on 0 questions (and pulled the average down);
    # the CSV layout blamed the network.
    with pytest.raises(TunelabError, match=r"'mmlu_anatomyy' \(did you mean mmlu_anatomy\?\)"):
        get_task("mmlu_anatomyy")
    assert get_task("mmlu_high_school_us_history").subject == "high_school_us_history"


def test_an_mmlu_subject_given_by_its_last_word_is_answered_with_the_subjects_it_ends():
    # Too short to be close to any name: it said only "use ... mmlu_<subject>".
    with pytest.raises(
        TunelabError, match=r"'mmlu_algebra' \(did you mean mmlu_abstract_algebra\?"
    ):
        get_task("mmlu_algebra")
    physics = "mmlu_college_physics or mmlu_conceptual_physics or mmlu_high_school_physics"
    with pytest.raises(TunelabError, match=f"did you mean {physics}\\?"):
        get_task("mmlu_physics")


def test_a_hellaswag_label_of_null_or_an_mmlu_csv_not_in_utf8_is_named_by_file_and_line(tmp_path):
    # Each ended in a bare TypeError or UnicodeDecodeError.
    row = json.loads((FIXTURES / "hellaswag" / "hellaswag_val.jsonl").read_text().splitlines()[0])
    (tmp_path / "hellaswag").mkdir()
    (tmp_path / "hellaswag" / "hellaswag_val.jsonl").write_text(json.dumps({**row, "label": None}))
    with pytest.raises(TunelabError, match=r"hellaswag_val.jsonl:1: label None is not a number"):
        get_task("hellaswag").load(tmp_path)
    (tmp_path / "mmlu" / "test").mkdir(parents=True)
    latin = "What is 2+2?,3,4,5,6,B\nCaf\u00e9 au lait?,a,b,c,d,A\n".encode("latin-1")
    (tmp_path / "mmlu" / "test" / "anatomy_test.csv").write_bytes(latin)
    with pytest.raises(
        TunelabError, match=r"anatomy_test.csv:2: not UTF-8 text .*re-save the file as UTF-8"
    ):
        get_task("mmlu_anatomy").load(tmp_path)


def test_an_arc_row_in_another_shape_is_named_by_line_and_field(tmp_path):
    folder = tmp_path / "arc" / "ARC-Easy"
    folder.mkdir(parents=True)
    test = folder / "ARC-Easy-Test.jsonl"
    # A choice without its label raised a bare KeyError.
    row = {"question": {"stem": "q", "choices": [{"text": "a"}]}, "answerKey": "A"}
    test.write_text(json.dumps(row) + "\n")
    with pytest.raises(
        TunelabError, match=r"Test.jsonl:1: missing field 'label' \(has \['text'\]\)"
    ):
        get_task("arc_easy").load(tmp_path)
    # A hub-shaped row (question as text) listed the question's letters as its fields.
    row = {"question": "Which is a gas?", "choices": {"text": ["ice"], "label": ["A"]}}
    test.write_text(json.dumps({**row, "answerKey": "A"}) + "\n")
    with pytest.raises(TunelabError, match=r"field 'stem', got str 'Which is a gas\?'"):
        get_task("arc_easy").load(tmp_path)


@needs_shared
def test_real_copies_load_completely():
    assert len(get_task("arc_easy").load(SHARED)) == 2376
    assert len(get_task("arc_challenge").load(SHARED)) == 1172
    mmlu = get_task("mmlu").load(SHARED)
    assert len(mmlu) == 14042 and len({d.group for d in mmlu}) == 57
    assert len(get_task("truthfulqa_mc2").load(SHARED)) == 817
    assert all(
        d.context.count("\nAnswer: ") == 5 for d in get_task("mmlu_anatomy").load(SHARED, fewshot=5)
    )


@pytest.mark.slow
@needs_shared
def test_embedded_model_on_arc_easy_matches_a_direct_computation():
    model, tok = load_model("smollm2-135m-instruct")
    result = run_task(model, tok, "arc_easy", BenchConfig(data_dir=SHARED, limit=20))
    assert 0.3 <= result.metrics["acc"] <= 0.95  # a 135M model: above chance (0.25), below perfect
    # One plain forward pass per choice, as the harness runs them, on the first 8 questions.
    docs = get_task("arc_easy").load(SHARED, limit=8)
    fast = run_task(model, tok, "arc_easy", BenchConfig(data_dir=SHARED, limit=8))
    correct = 0
    with torch.no_grad():
        for doc in docs:
            lls = []
            for choice in doc.choices:
                ctx, cont = encode_pair(tok, doc.context, " " + choice)
                lp = model(torch.tensor([ctx + cont])).logits.log_softmax(-1)[0]
                lls.append(sum(lp[len(ctx) - 1 + j, t].item() for j, t in enumerate(cont)))
            correct += max(range(len(lls)), key=lls.__getitem__) == doc.gold
    assert fast.metrics["acc"] == correct / len(docs)
