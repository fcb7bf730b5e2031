"""`tunelab data augment`: new phrasings of each training question, with provenance, never a test
question, resumable; through a local model or any OpenAI-compatible endpoint."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.generate.augment.augment_rows import AugmentConfig, augment
from tunelab.data.generate.augment.new_rows import parse_questions
from tunelab.errors import TunelabError


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


class ScriptedLLM:
    """Answers a paraphrase request with fixed rewrites; counts what it was asked."""

    name = "scripted"

    def __init__(self, rewrites: dict[str, list[str]]) -> None:
        self.rewrites, self.asked = rewrites, 0

    def complete(self, conversations, temperature, schema=None):
        replies = []
        for conversation in conversations:
            self.asked += 1
            question = conversation[-1]["content"].rsplit("Question: ", 1)[-1]
            replies.append(json.dumps(self.rewrites.get(question, [])))
        return replies


REWRITES = {
    "How do I resume a run?": ["How can I continue a stopped run?", "What picks a run up again?"],
    "What is the default lr?": ["Which learning rate is used by default?", "Default LR?"],
}


@pytest.fixture
def data(tmp_path):
    return _write(
        tmp_path / "train.jsonl",
        [
            {"question": "How do I resume a run?", "answer": "Add --resume."},
            {"question": "What is the default lr?", "answer": "2e-4."},
        ],
    )


def _rows(path):
    return [json.loads(line) for line in path.read_text().split("\n") if line]


def test_every_row_is_kept_and_each_rewrite_records_its_source(data, tmp_path):
    out = tmp_path / "aug.jsonl"
    stats = augment(AugmentConfig(data=str(data), output=str(out), paraphrases=2),
                    ScriptedLLM(REWRITES))  # fmt: skip
    rows = _rows(out)
    assert stats.written == 4 and len(rows) == 6
    new = [r for r in rows if r["meta"]["kind"] == "paraphrase"]
    assert {r["question"] for r in new} == {q for qs in REWRITES.values() for q in qs}
    for r in new:
        assert r["answer"] == {"How do I resume a run?": "Add --resume.",
                               "What is the default lr?": "2e-4."}[r["meta"]["original_question"]]  # fmt: skip
        assert r["meta"]["source"].startswith(f"{data}:") and r["meta"]["generator"] == "scripted"


def test_the_data_file_given_as_the_output_is_refused_and_left_as_it_was(data):
    # It was read as an earlier run's output: "not a row `tunelab data augment` wrote".
    before = data.read_bytes()
    with pytest.raises(TunelabError, match=r"--output .*train.jsonl is the data being augmented"):
        augment(AugmentConfig(data=str(data), output=str(data), mode="rules"))
    assert data.read_bytes() == before


def test_an_output_inside_the_data_folder_is_refused_before_it_is_written(data):
    # A rerun would read the rewrites back as data and rewrite them again.
    inside = data.parent / "aug.jsonl"
    with pytest.raises(TunelabError, match=r"--output .*aug.jsonl is the data being augmented"):
        augment(AugmentConfig(data=str(data.parent), output=str(inside), mode="rules"))
    assert not inside.exists()


def test_a_rewrite_that_matches_a_test_question_is_dropped_and_counted(data, tmp_path):
    test = _write(
        tmp_path / "test.jsonl", [{"question": "how can I CONTINUE a stopped run", "answer": "x"}]
    )
    out = tmp_path / "aug.jsonl"
    stats = augment(
        AugmentConfig(data=str(data), output=str(out), paraphrases=2, test=str(test)),
        ScriptedLLM(REWRITES),
    )
    questions = {r["question"] for r in _rows(out)}
    assert "How can I continue a stopped run?" not in questions
    assert stats.dropped["matches a test question"] == 1 and stats.written == 3
    # A source row that itself asks a test question is not rewritten (its rewrites were kept,
    # and the command said nothing).
    test = _write(tmp_path / "test2.jsonl", [{"question": "what is the default LR", "answer": "x"}])
    out = tmp_path / "aug2.jsonl"
    stats = augment(
        AugmentConfig(data=str(data), output=str(out), paraphrases=2, test=str(test)),
        ScriptedLLM(REWRITES),
    )
    questions = [r["question"] for r in _rows(out)]
    assert "What is the default lr?" in questions and "Default LR?" not in questions
    assert stats.dropped["its source asks a test question (data check --test names it)"] == 2


def test_a_rewrite_naming_what_the_original_never_did_is_dropped(data, tmp_path):
    strays = {"How do I resume a run?": ["How do I resume a run with --steps 134?",
                                         "How can I continue a stopped run?"]}  # fmt: skip
    stats = augment(AugmentConfig(data=str(data), output=str(tmp_path / "a.jsonl"), paraphrases=2),
                    ScriptedLLM(strays))  # fmt: skip
    questions = {r["question"] for r in _rows(tmp_path / "a.jsonl")}
    assert "How can I continue a stopped run?" in questions
    assert "How do I resume a run with --steps 134?" not in questions
    assert stats.dropped["strays from the question"] == 1


def test_an_interrupted_run_resumes_without_duplicating_rows(data, tmp_path):
    out = tmp_path / "aug.jsonl"
    cfg = AugmentConfig(data=str(data), output=str(out), paraphrases=2, batch_size=1)
    llm = ScriptedLLM(REWRITES)

    def crash_after_first(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        augment(cfg, llm, on_progress=crash_after_first)
    assert len(_rows(out)) == 3  # the first source and its two rewrites
    stats = augment(cfg, llm)
    rows = _rows(out)
    assert stats.done_before == 1 and llm.asked == 2 and len(rows) == 6
    assert len({r["question"] for r in rows}) == 6
    with out.open("a") as handle:  # a write torn by a crash: whose source it was is unknown,
        handle.write('{"question": "half')  # so the last whole source is asked again too
    stats = augment(cfg, llm)
    assert stats.done_before == 1 and llm.asked == 3 and _rows(out) == rows


def test_a_question_whose_rewrites_were_all_dropped_is_not_asked_again(data, tmp_path):
    # Its original is written whatever is kept: that row says it was asked.
    out = tmp_path / "aug.jsonl"
    cfg = AugmentConfig(data=str(data), output=str(out), paraphrases=1)
    llm = ScriptedLLM({"How do I resume a run?": ["How do I resume a run with --steps 134?"]})
    assert augment(cfg, llm).written == 0 and llm.asked == 2
    assert augment(cfg, llm).done_before == 2 and llm.asked == 2


def test_restated_answers_must_keep_every_literal(data, tmp_path):
    class Restating(ScriptedLLM):
        def complete(self, conversations, temperature, schema=None):
            if "Say the answer" in conversations[0][-1]["content"]:
                answer = conversations[0][-1]["content"].rsplit("Answer: ", 1)[-1]
                # keeps "--resume"; loses "2e-4"
                return [
                    "Pass the --resume flag." if "--resume" in answer else "The usual one."
                ] * len(conversations)
            return super().complete(conversations, temperature)

    out = tmp_path / "aug.jsonl"
    stats = augment(
        AugmentConfig(data=str(data), output=str(out), paraphrases=2, restate_answers=True),
        Restating(REWRITES),
    )
    answers = {r["question"]: r["answer"] for r in _rows(out)}
    assert answers["How can I continue a stopped run?"] == "Pass the --resume flag."
    assert answers["Default LR?"] == "2e-4."  # the restatement lost the number: original kept
    assert stats.dropped["restatement lost a literal (original answer kept)"] == 2


def test_replies_are_read_as_json_lists_or_question_lines():
    assert parse_questions('Sure! ["A?", {"question": "B?"}]') == ["A?", "B?"]
    assert parse_questions("1. First way?\n2) Second way?\nnot a question") == [
        "First way?",
        "Second way?",
    ]
    assert parse_questions(None) == []
    # The prompt's own "Question: ..." line said again was kept as a new phrasing of it.
    assert parse_questions('Question: What is X?\n2. "How is X set?"\nQ: Why X?') == [
        "What is X?",
        "How is X set?",
        "Why X?",
    ]
    assert parse_questions('["Question: What is X?", "Rewrite 2: Is X on?"]') == [
        "What is X?",
        "Is X on?",
    ]


def test_with_the_tiny_local_model_every_original_is_kept(data, tmp_path):
    out = tmp_path / "aug.jsonl"
    result = CliRunner().invoke(
        app,
        ["data", "augment", str(data), "-o", str(out), "--paraphrases", "2",
         "--model", "tiny-random", "--max-new-tokens", "64"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # Asked under the JSON schema, even a random model's replies parse; its rewrites are junk.
    assert "2 of 2 replies parsed" in result.output
    rows = _rows(out)
    assert [r["question"] for r in rows if r["meta"]["kind"] == "original"] == [
        "How do I resume a run?",
        "What is the default lr?",
    ]
    assert "2 questions" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_openai_compatible_endpoint_on_loopback(data, tmp_path):
    import uvicorn
    from fastapi import FastAPI

    fake = FastAPI()
    seen = []

    @fake.post("/v1/chat/completions")
    def chat(body: dict):
        seen.append(body)
        question = body["messages"][-1]["content"].rsplit("Question: ", 1)[-1]
        content = json.dumps(REWRITES[question])
        return {"choices": [{"message": {"role": "assistant", "content": content}}]}

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(fake, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        out = tmp_path / "aug.jsonl"
        result = CliRunner().invoke(
            app,
            ["data", "augment", str(data), "-o", str(out), "--paraphrases", "2",
             "--endpoint", f"http://127.0.0.1:{port}/v1", "--model", "big-model"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert len(seen) == 2 and seen[0]["model"] == "big-model"
    assert sum(r["meta"]["kind"] == "paraphrase" for r in _rows(out)) == 4


def test_a_line_separator_inside_a_row_or_a_cut_character_does_not_stop_a_resume(data, tmp_path):
    # json.dumps(ensure_ascii=False) writes U+2028 raw: a line of the file for str.splitlines,
    # not for JSONL. And a crash can cut the last row inside a character.
    out = tmp_path / "aug.jsonl"
    cfg = AugmentConfig(data=str(data), output=str(out), paraphrases=2, batch_size=1)
    rewrites = {q: [r + "\u2028" for r in rs] for q, rs in REWRITES.items()}
    augment(cfg, ScriptedLLM(rewrites))
    rows = _rows(out)
    with out.open("ab") as handle:
        handle.write('{"question": "caf\u00e9'.encode()[:-1])
    llm = ScriptedLLM(rewrites)
    stats = augment(cfg, llm)
    assert stats.done_before == 1 and llm.asked == 1 and _rows(out) == rows


def test_a_source_whose_write_a_crash_cut_is_asked_again_whole(data, tmp_path):
    out = tmp_path / "aug.jsonl"
    cfg = AugmentConfig(data=str(data), output=str(out), paraphrases=2, batch_size=1)
    augment(cfg, ScriptedLLM(REWRITES))
    lines = out.read_bytes().split(b"\n")
    whole = _rows(out)
    # The second source's write cut inside its second row: its first row is on disk whole.
    out.write_bytes(b"\n".join(lines[:4]) + b"\n" + lines[4][:20])
    llm = ScriptedLLM(REWRITES)
    stats = augment(cfg, llm)
    assert stats.done_before == 1 and llm.asked == 1 and _rows(out) == whole


def test_rewrites_keep_the_question_headers_their_original_carries(tmp_path):
    framed = "### Question:\nHow do I resume a run?\n\n### Answer:"  # as lamini_docs' rows are
    data = _write(tmp_path / "train.jsonl", [{"question": framed, "answer": "Add --resume."}])
    out = tmp_path / "aug.jsonl"
    augment(AugmentConfig(data=str(data), output=str(out), paraphrases=2), ScriptedLLM(REWRITES))
    questions = [r["question"] for r in _rows(out)]
    assert questions == [
        framed,
        "### Question:\nHow can I continue a stopped run?\n\n### Answer:",
        "### Question:\nWhat picks a run up again?\n\n### Answer:",
    ]


def test_a_rows_system_prompt_goes_with_its_rewrites(tmp_path):
    # A support set's rows each carry "You answer as Acme support.": the augmented file lost it.
    acme = "You answer as Acme support."
    data = _write(tmp_path / "train.jsonl",
                  [{"system": acme, "question": "How do I resume a run?", "answer": "Add --resume."}])  # fmt: skip
    out = tmp_path / "aug.jsonl"
    augment(AugmentConfig(data=str(data), output=str(out), paraphrases=2), ScriptedLLM(REWRITES))
    assert [r["system"] for r in _rows(out)] == [acme] * 3


def test_rules_rewrite_a_question_by_its_form_without_a_model(data, tmp_path):
    from tunelab.data.generate.augment.rephrase import rule_rewrites

    assert rule_rewrites("What is the default `retry_count`?", 2) == [
        "What does `retry_count` default to?",
        "If I leave `retry_count` unset, what value does it take?",
    ]
    assert rule_rewrites("How do I add an exclusion rule?", 2) == [
        "What are the steps to add an exclusion rule?",
        "How can I add an exclusion rule?",
    ]
    assert rule_rewrites("How long are logs kept?", 1) == ["How much time are logs kept?"]
    assert rule_rewrites("Tell me about logs.", 3) == []  # no question form a rule knows
    assert rule_rewrites("what is the default for retries?", 1) == ["What does retries default to?"]
    # Given a model as well, rules mode asks it nothing.
    quiet = ScriptedLLM({})
    augment(AugmentConfig(data=str(data), output=str(tmp_path / "r.jsonl"), mode="rules"), quiet)
    assert quiet.asked == 0
    out = tmp_path / "aug.jsonl"
    result = CliRunner().invoke(
        app, ["data", "augment", str(data), "--mode", "rules", "--paraphrases", "2", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert len(rows) == 6 and {r["meta"]["generator"] for r in rows} == {"rules"}
    assert "What are the steps to resume a run?" in {r["question"] for r in rows}
    with pytest.raises(Exception, match="restate_answers needs a model"):
        AugmentConfig(data=str(data), mode="rules", restate_answers=True)


def test_paths_from_home_are_read_and_written_in_home(data, tmp_path, monkeypatch):
    # `output: ~/aug.jsonl` (in YAML, or --set, where no shell expands "~") was written into a
    # folder named "~" where the command ran; `test: ~/test.jsonl` was not found.
    monkeypatch.setenv("HOME", str(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _write(tmp_path / "test.jsonl", [{"question": "How can I resume a run?", "answer": "-"}])
    args = ["data", "augment", "~/train.jsonl", "--mode", "rules", "--paraphrases", "2"]
    sets = ["--set", "output=~/aug.jsonl", "--set", "test=~/test.jsonl"]
    result = CliRunner().invoke(app, [*args, *sets])
    assert result.exit_code == 0, result.output
    assert "How can I resume a run?" not in {r["question"] for r in _rows(tmp_path / "aug.jsonl")}
    assert not (elsewhere / "~").exists()


def test_the_questions_left_with_no_new_phrasing_are_named(tmp_path, wide_terminal):
    # "dropped 5: no rule for the question's form" counted rewrites: which facts kept their one
    # phrasing (none that `data split --held-out rephrasings` can test) was for the user to find.
    data = _write(
        tmp_path / "qa.jsonl",
        [
            {"question": "How do I restart the relay?", "answer": "Run `qsctl restart`."},
            {"question": "On which port is the dashboard served?", "answer": "Port 9316."},
        ],
    )
    out = tmp_path / "more.jsonl"
    result = CliRunner().invoke(
        app, ["data", "augment", str(data), "--mode", "rules", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"no new phrasing for 1 of 2 questions ({data}:2): their facts keep one" in said
    assert "have a model rewrite them (without --mode rules)" in said
    # The rewrites no rule made were never made, so none was dropped: the count says so.
    assert "rewrites not made (3 asked per question): no rule for the question's form" in said
    assert "dropped" not in said
    assert [r["meta"]["source"] for r in _rows(out)][-1] == f"{data}:2"


def test_no_phrasing_asked_for_is_no_phrasing_missed(tmp_path, wide_terminal):
    # `--paraphrases 0 --combine 1` (docs/generate.md: "writes only these") was told "no new
    # phrasing for 2 of 2 questions ... write others by hand": none had been asked for.
    data = _write(
        tmp_path / "qa.jsonl",
        [
            {
                "question": "How long does the relay keep logs?",
                "answer": "The relay keeps logs 7 days.",
            },
            {
                "question": "Where does the relay write logs?",
                "answer": "The relay writes logs to /var/log.",
            },
        ],
    )
    out = tmp_path / "more.jsonl"
    args = ["data", "augment", str(data), "--mode", "rules", "--paraphrases", "0", "--combine", "1"]
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "1 new question (0 reversed, 1 combined)" in said
    assert "no new phrasing" not in said


def test_a_maximum_is_rewritten_as_allowed_and_a_minimum_as_needed():
    # "What is the maximum inlet pressure?" was rewritten "What is the maximum inlet pressure
    # needed?": a maximum is what is allowed.
    from tunelab.data.generate.augment.rephrase import rule_rewrites

    rewrites = rule_rewrites("What is the maximum inlet pressure?", 3)
    assert "What is the highest inlet pressure allowed?" in rewrites
    assert not [r for r in rewrites if "needed" in r]
    assert "What is the minimum RAM needed?" in rule_rewrites("What is the minimum RAM?", 3)


def test_a_bad_row_is_named_with_the_option_that_skips_it(tmp_path):
    # The error told "--set data.on_error=skip, or on_error: skip under data: in the config",
    # which `data augment` refused ("data is '...', not a section"): a file with one empty
    # answer (lamini_docs' row 424) could not be augmented at all.
    data = _write(
        tmp_path / "train.jsonl",
        [{"question": "How do I resume a run?", "answer": "Add --resume."},
         {"question": "### Question:\n\n\n### Answer:", "answer": ""},
         {"question": "What is the default lr?", "answer": "2e-4."}],
    )  # fmt: skip
    out = tmp_path / "aug.jsonl"
    asked = ["data", "augment", str(data), "--mode", "rules", "--paraphrases", "1", "-o", str(out)]
    refused = CliRunner().invoke(app, asked)
    assert isinstance(refused.exception, TunelabError)
    assert f"{data}:2: field 'answer' is empty" in str(refused.exception)
    assert "--on-error skip" in str(refused.exception)
    for skip in (["--on-error", "skip"], ["--set", "data.on_error=skip"]):
        out.unlink(missing_ok=True)
        result = CliRunner().invoke(app, [*asked, *skip])
        assert result.exit_code == 0, result.output
        originals = [r for r in _rows(out) if r["meta"]["kind"] == "original"]
        assert [r["meta"]["source"] for r in originals] == [f"{data}:1", f"{data}:3"]


def test_a_bad_row_of_the_test_file_is_skipped_as_the_datas_are(tmp_path):
    # `--on-error skip` skipped the data's bad rows, but a test file's stopped the run, told to
    # pass `--set data.on_error=skip`, which it had been given.
    data = _write(
        tmp_path / "train.jsonl",
        [{"question": "How do I resume a run?", "answer": "Add --resume."},
         {"question": "What is the default lr?", "answer": "2e-4."}],
    )  # fmt: skip
    test = _write(
        tmp_path / "test.jsonl",
        [{"question": "How can I resume a run?", "answer": "Add --resume."},
         {"question": "Why?", "answer": ""}],
    )  # fmt: skip
    out = tmp_path / "aug out.jsonl"
    asked = ["data", "augment", str(data), "--test", str(test), "--mode", "rules", "-o", str(out)]
    refused = CliRunner().invoke(app, asked)
    assert f"{test}:2: field 'answer' is empty" in str(refused.exception)
    assert "--on-error skip" in str(refused.exception)
    result = CliRunner().invoke(app, [*asked, "--on-error", "skip"])
    assert result.exit_code == 0, result.output
    # The test file's other question still guards: no rewrite of row 1 is asked as it.
    assert "How can I resume a run?" not in [r["question"] for r in _rows(out)]
