"""`tunelab data generate --mode template`: documents in, deterministic Q&A rows out, no model."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.documents.chunking import chunk_document
from tunelab.data.documents.sections import find_documents, read_sections
from tunelab.data.generate.cli import _what_was_written
from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.llm import parse_pairs
from tunelab.data.generate.shared import GenerateConfig, GenerateStats
from tunelab.data.generate.template.template_qa import template_pairs
from tunelab.errors import TunelabError

DOCS = Path(__file__).parent / "fixtures" / "docs"


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_template_pairs_come_from_headings_definitions_and_cli_help():
    pairs = {q: a for c in chunk_document(DOCS / "guide.md") for q, a in template_pairs(c)}
    assert pairs["How do I resume a stopped run?"].startswith("Run the same command again")
    assert pairs["What is max_length?"].startswith("max_length: the longest example")
    assert pairs["What is learning rate?"] == (
        "Learning rate: How far each optimizer step moves the weights; 2e-4 suits LoRA."
    )
    assert pairs["What does the --output option of tunelab data check do?"] == (
        "`-o, --output PATH`: Where the cleaned JSONL is written."
    )
    assert pairs["How do I call tunelab data check?"] == "Usage: tunelab data check [OPTIONS] PATH"
    assert "What is note?" not in pairs and not any("--help" in q for q in pairs)


def test_template_generation_is_deterministic_resumable_and_records_provenance(tmp_path):
    config = GenerateConfig(docs=[str(DOCS)], output=str(tmp_path / "qa.jsonl"))
    first = generate_dataset(config, progress=False)
    assert first.pairs > 15 and first.done_before == 0
    written = rows(tmp_path / "qa.jsonl")
    meta = written[0]["meta"]
    assert meta["mode"] == "template" and meta["generator"] == "rules"
    assert meta["source"].endswith("faq.html") and len(meta["chunk_hash"]) == 16

    again = generate_dataset(config, progress=False)  # a rerun skips every chunk already done
    assert (again.pairs, again.done_before) == (0, first.chunks)
    assert rows(tmp_path / "qa.jsonl") == written

    config.output = str(tmp_path / "qa2.jsonl")
    generate_dataset(config, progress=False)
    assert rows(tmp_path / "qa2.jsonl") == written  # same documents, same rows


def test_generating_into_a_new_folder_makes_it_with_the_rows_and_not_before(tmp_path):
    # Finding -o writable made its folder, and a run refused after it left it empty.
    out = tmp_path / "out" / "qa.jsonl"
    config = GenerateConfig(docs=[str(tmp_path / "gone.md")], output=str(out))
    with pytest.raises(TunelabError, match="document not found"):
        generate_dataset(config, progress=False)
    assert list(tmp_path.iterdir()) == []
    config.docs = [str(DOCS / "guide.md")]
    stats = generate_dataset(config, progress=False)
    assert stats.pairs == len(rows(out)) > 0


def test_cli_generate_then_check_reports_the_rows_as_generated(tmp_path):
    runner = CliRunner()
    out = tmp_path / "qa.jsonl"
    result = runner.invoke(app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    # 14: "Is Python 3.11 or newer required?" ("How is ... required?" restated its answer); 15:
    # "What does Tunelab do?", its second sentence, once in "What is Tunelab?"'s answer
    assert "wrote 15 pairs" in result.output and len(rows(out)) == 15
    # One pair a fact taught a 135M model 8% of the facts in 3 epochs (docs_to_facts.py).
    said = " ".join(result.output.split())
    assert "each fact is asked once" in said and "--mode rules" in said
    result = runner.invoke(app, ["data", "check", str(out), "--model", "tiny-random"])
    assert result.exit_code == 0, result.output
    assert "generated:template" in result.output
    # The command it suggests runs as pasted: a name with a space is quoted.
    spaced = tmp_path / "gen out.jsonl"
    result = runner.invoke(app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(spaced)])
    assert f"tunelab data augment '{spaced}' --mode rules" in " ".join(result.output.split())


def test_a_rerun_with_nothing_left_to_do_says_so(tmp_path):
    # A rerun said "wrote 0 pairs to qa.jsonl in 0.0 s (0.0 pairs/min); 6 chunks done before".
    out = tmp_path / "qa.jsonl"
    generate = ["data", "generate", str(DOCS / "guide.md"), "-o", str(out)]
    assert CliRunner().invoke(app, generate).exit_code == 0
    again = CliRunner().invoke(app, generate)
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert said.startswith("nothing new: all 6 chunks were done by an earlier run, whose pairs")
    assert "wrote" not in said and "pairs/min" not in said


def test_the_closing_line_tells_a_rate_and_the_chunks_done_before_only_where_they_mean_something(
    tmp_path,
):
    # A 0.2 s run said "wrote 19 pairs to qa.jsonl in 0.2 s (5865.4 pairs/min); 0 chunks done
    # before": a rate of the start-up, and a resume that never happened.
    manual = tmp_path / "manual.md"
    manual.write_text(
        "# LP-300 Label Printer\n\nThe LP-300 is a thermal label printer.\n\n## Limits\n\n"
        "The printer holds 50 m of labels.\n",
        encoding="utf-8",
    )
    out = tmp_path / "qa.jsonl"
    first = CliRunner().invoke(app, ["data", "generate", str(manual), "-o", str(out)])
    said = " ".join(first.output.split())
    assert first.exit_code == 0 and said.startswith(f"wrote 2 pairs to {out} in ")
    assert "pairs/min" not in said and "done before" not in said
    # A resumed run names what the earlier one did.
    more = tmp_path / "more.md"
    more.write_text("# LP-300 Label Printer\n\nThe LP-300 weighs 2 kg.\n", encoding="utf-8")
    again = CliRunner().invoke(app, ["data", "generate", str(manual), str(more), "-o", str(out)])
    assert "; 2 chunks done before" in " ".join(again.output.split())
    # A run long enough to measure tells its rate.
    stats = GenerateStats(chunks=40, pairs=120, seconds=60.0)
    config = GenerateConfig(output=str(out))
    assert (
        _what_was_written(config, stats) == f"wrote 120 pairs to {out} in 60.0 s (120.0 pairs/min)"
    )


def test_a_file_of_another_kind_is_told_the_kinds_that_are_read_in_plain_words(tmp_path):
    # "use ['.htm', '.html', ...]": the message showed a Python list.
    (tmp_path / "table.csv").write_text("a,b\n")
    with pytest.raises(TunelabError) as raised:
        find_documents([tmp_path / "table.csv"])
    assert str(raised.value).endswith(
        "table.csv: cannot read '.csv' files; use .htm, .html, .markdown, .md, .pdf, .rst or .txt"
    )


def test_unreadable_inputs_are_user_errors(tmp_path):
    (tmp_path / "data.bin").write_bytes(b"\x00\x01")
    with pytest.raises(TunelabError, match="cannot read '.bin' files"):
        find_documents([tmp_path / "data.bin"])
    with pytest.raises(TunelabError, match="document not found"):
        find_documents([tmp_path / "missing.md"])
    # A mistyped folder or file of documents is answered with the one beside it, as a data
    # file is ("document not found: doc" said no more).
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "manual.md").write_text("# Quillbox\n\nA printer.\n", encoding="utf-8")
    with pytest.raises(TunelabError, match=r"not found: .*doc \(did you mean .*docs\?\)$"):
        find_documents([tmp_path / "doc"])
    with pytest.raises(TunelabError, match=r"\(did you mean .*docs.manual\.md\?\)$"):
        find_documents([tmp_path / "docs" / "manul.md"])
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    with pytest.raises(TunelabError, match="bad.pdf: cannot read this PDF"):
        read_sections(tmp_path / "bad.pdf")


def test_a_broken_pdf_is_said_once_without_the_pdf_library_s_own_warnings(tmp_path, caplog):
    # "invalid pdf header: b'...'" and "EOF marker not found" were printed above the error.
    (tmp_path / "bad.pdf").write_bytes(b"\x08\x0c\xec\xc4 not a pdf")
    with pytest.raises(TunelabError, match="bad.pdf: cannot read this PDF"):
        read_sections(tmp_path / "bad.pdf")
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("pypdf")]


@pytest.mark.parametrize(
    "reply",
    [
        '[{"question": "Q?", "answer": "A."}]',
        'Sure! Here they are:\n```json\n{"pairs": [{"Question": "Q?", "Answer": "A."}]}\n```',
        '{"instruction": "Q?", "output": "A."}\n',
        "Q1: Q?\nA1: A.",
        '[{"question": "Q?", "answer": "A."}, {"question": "cut off',
    ],
)
def test_llm_replies_are_parsed_however_loosely_they_follow_json(reply):
    assert parse_pairs(reply) == [("Q?", "A.")]


@pytest.mark.parametrize(
    "reply", ["", "I cannot help with that.", '[{"question": "", "answer": ""}]']
)
def test_replies_without_pairs_are_malformed(reply):
    assert parse_pairs(reply) is None


def test_limit_spreads_a_quick_trial_over_the_documents(tmp_path):
    config = GenerateConfig(docs=[str(DOCS)], output=str(tmp_path / "qa.jsonl"), limit=3)
    stats = generate_dataset(config, progress=False)
    sources = {Path(r["meta"]["source"]).name for r in rows(tmp_path / "qa.jsonl")}
    assert stats.chunks == 3 and len(sources) >= 2


def test_one_unreadable_document_does_not_cost_the_others_their_rows(tmp_path):
    (tmp_path / "guide.md").write_text((DOCS / "guide.md").read_text())
    (tmp_path / "broken.txt").write_bytes(b"\xff\xfe not utf-8 \x80")
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # the console wraps long paths
    assert "skippedadocument" in said and "broken.txt:notUTF-8" in said
    assert rows(out) and {Path(r["meta"]["source"]).name for r in rows(out)} == {"guide.md"}
    (tmp_path / "guide.md").unlink()
    with pytest.raises(TunelabError, match="broken.txt: not UTF-8"):  # nothing readable: an error
        generate_dataset(GenerateConfig(docs=[str(tmp_path)], output=str(out)), progress=False)


def test_a_document_not_in_utf8_is_named_by_its_line_with_how_to_convert_it(tmp_path):
    # A Latin-1 manual was "not UTF-8 text; convert it first": no line, no byte, no how.
    (tmp_path / "guide.md").write_text((DOCS / "guide.md").read_text())
    (tmp_path / "cafe.md").write_bytes("# Cafe\n\nThe café mode runs at 45 °C.\n".encode("latin-1"))
    (tmp_path / "photo.md").write_bytes(bytes(range(256)) * 4)  # a binary file named .md
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # the console wraps long paths
    assert "cafe.md:3:notUTF-8text(byte0xe9atbyte15);re-savethefileasUTF-8" in said
    assert f"iconv-flatin1-tutf-8{tmp_path / 'cafe.md'}>converted.md" in said
    assert "photo.md:notUTF-8textbutabinaryfile,nodocument" in said
    assert {Path(r["meta"]["source"]).name for r in rows(out)} == {"guide.md"}


def test_the_iconv_a_document_not_in_utf8_is_told_pastes_whole_from_a_folder_with_a_space(
    tmp_path,
):
    # "iconv -f latin1 -t utf-8 /tmp/my docs/cafe.md > converted.md" read /tmp/my and docs/cafe.md.
    folder = tmp_path / "my docs"
    folder.mkdir()
    (folder / "cafe.md").write_bytes("# Cafe\n\nThe café mode runs at 45 °C.\n".encode("latin-1"))
    with pytest.raises(TunelabError) as refused:
        generate_dataset(GenerateConfig(docs=[str(folder)], output=str(tmp_path / "qa.jsonl")))
    assert f"iconv -f latin1 -t utf-8 '{folder / 'cafe.md'}' > converted.md" in str(refused.value)


def test_template_mode_says_the_model_settings_it_was_given_go_unused(tmp_path):
    # `--model foo --pairs 1` in template mode wrote every pair, no model asked, without a word.
    out = tmp_path / "qa.jsonl"
    given = ["--model", "foo", "--max-new-tokens", "64", "--pairs", "1", "--temperature", "0.5"]
    result = CliRunner().invoke(
        app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(out), *given]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    # The options typed, not the config's fields behind them ("pairs_per_chunk" for --pairs).
    unused = "--model, --max-new-tokens, --pairs, --temperature unused"
    assert f"template mode asks no model: {unused}" in said
    by_set = CliRunner().invoke(
        app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(out), "--set", "timeout=5"]
    )
    assert "template mode asks no model: --set timeout unused" in " ".join(by_set.output.split())
    # The Python API names its fields.
    config = GenerateConfig(docs=[str(DOCS / "guide.md")], output=str(out), pairs_per_chunk=1)
    assert generate_dataset(config, progress=False).unused == ["pairs_per_chunk"]
    plain = CliRunner().invoke(app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(out)])
    assert "asks no model" not in plain.output


def test_an_empty_document_is_named_not_silently_left_out(tmp_path):
    # An empty file gave "no pairs: qa.jsonl not written" and no word of why.
    (tmp_path / "guide.md").write_text((DOCS / "guide.md").read_text())
    (tmp_path / "empty.md").write_text("\n  \n")
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # the console wraps long paths
    assert "skippedadocument" in said and "empty.md:notext" in said
    (tmp_path / "guide.md").unlink()
    with pytest.raises(TunelabError, match="empty.md: no text"):  # nothing to read: an error
        generate_dataset(GenerateConfig(docs=[str(tmp_path)], output=str(out)), progress=False)


def test_a_chunk_whose_rows_a_crash_cut_is_not_counted_done(tmp_path):
    from tunelab.data.generate.shared import Output

    path = tmp_path / "qa.jsonl"
    rows = [
        {"question": f"q{i}", "answer": "a", "meta": {"mode": "llm", "chunk_hash": chunk}}
        for i, chunk in enumerate(["c1", "c2", "c2"])
    ]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    path.write_text(text[: -len(json.dumps(rows[2])) // 2])  # c2's second pair cut mid-row
    out = Output(path, "llm")
    assert out.dropped_cut_row and out.done == {"c1"}
    assert path.read_text() == json.dumps(rows[0]) + "\n"


def test_a_crash_between_two_pairs_of_a_chunk_leaves_the_chunk_to_be_made_again(tmp_path):
    import tunelab.data.generate.shared as shared

    whole = tmp_path / "whole.jsonl"
    generate_dataset(GenerateConfig(docs=[str(DOCS)], output=str(whole)), progress=False)
    by_chunk = Counter(r["meta"]["chunk_hash"] for r in rows(whole))
    assert max(by_chunk.values()) > 1  # a chunk of several pairs, the case at stake

    # Crash on the second kept pair of the first chunk that has several (a Ctrl-C, a full disk).
    several = next(h for h in by_chunk if by_chunk[h] > 1)
    kept, real_add = [], shared.Output.add

    def add_then_crash(self, question, answer, meta):
        kept.append(meta["chunk_hash"])
        if kept.count(several) == 2:
            raise KeyboardInterrupt
        real_add(self, question, answer, meta)

    path = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(DOCS)], output=str(path))
    with mock.patch.object(shared.Output, "add", add_then_crash), pytest.raises(KeyboardInterrupt):
        generate_dataset(config, progress=False)
    assert several not in {r["meta"]["chunk_hash"] for r in rows(path)}  # none of it, not half

    generate_dataset(config, progress=False)  # the rerun asks that chunk again, whole
    assert sorted(map(json.dumps, rows(path))) == sorted(map(json.dumps, rows(whole)))


def test_an_output_that_is_one_of_the_documents_is_refused_before_it_is_touched(tmp_path):
    # `-o docs/guide.md` said "docs/guide.md:1: not valid JSON ...; fix or remove the line to
    # resume": advice to cut lines out of the user's own document.
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\nThe agent reads `agent.toml` at startup.\n")
    config = GenerateConfig(docs=[str(tmp_path)], output=str(guide), mode="template")
    with pytest.raises(TunelabError, match="guide.md is one of the documents being read"):
        generate_dataset(config, progress=False)
    assert guide.read_text() == "# Guide\n\nThe agent reads `agent.toml` at startup.\n"


def test_a_rerun_of_a_one_chunk_document_says_the_chunk_was_done(tmp_path):
    # It said "all 1 chunks were done by an earlier run".
    doc = tmp_path / "kettle.md"
    doc.write_text("# Kettle\n\n## Capacity\n\nThe kettle holds 1.7 litres.\n", encoding="utf-8")
    generate = ["data", "generate", str(doc), "--mode", "template", "-o", str(tmp_path / "q.jsonl")]
    assert CliRunner().invoke(app, generate).exit_code == 0
    said = " ".join(CliRunner().invoke(app, generate).output.split())
    assert said.startswith("nothing new: the chunk was done by an earlier run, whose pairs")


def test_a_link_to_a_document_that_is_not_there_is_named_not_skipped_silently(tmp_path):
    # A folder's link to a manual on an unmounted share was left out without a word.
    (tmp_path / "guide.md").write_text((DOCS / "guide.md").read_text())
    (tmp_path / "setup.md").symlink_to("/mnt/share/setup.md")
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "links whose target is not there were left out (setup.md -> /mnt/share/setup.md)" in said
    assert {Path(r["meta"]["source"]).name for r in rows(out)} == {"guide.md"}
