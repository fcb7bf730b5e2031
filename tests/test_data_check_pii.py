"""Personal data in a data set (emails, phones, keys, cards, addresses) is found, common numbers and
versions are not, and --fix --scrub writes a clean file in the original shape."""

from __future__ import annotations

import json

from tests.test_data_quality import FACTS, TINY, write_rows
from tunelab.data.quality.check import check_file, write_clean
from tunelab.data.quality.pii import find_pii, scrub


def test_personal_data_is_found_and_common_numbers_are_not():
    text = (
        "Mail jane.doe@example.com or call +1 415-555-0132. Key sk-abcdefghijklmnopqrstuvwx123456, "
        "card 4111 1111 1111 1111, host 81.2.69.142."
    )
    assert [f.kind for f in find_pii(text)] == [
        "email",
        "phone",
        "api_key",
        "credit_card",
        "ip_address",
    ]
    masked, _ = scrub(text)
    assert masked == ("Mail [EMAIL] or call [PHONE]. Key [API_KEY], card [CARD], host [IP].")
    assert find_pii("tunelab 0.1.2 released 2024-01-31 with 100 000 rows, seed 42") == []
    # Four-part versions are no addresses (--scrub masked "Version 1.2.3.4" as [IP]).
    versions = "Version 1.2.3.4, v10.0.0.1, release 2.1.0.3, build 1.2.3.4.5"
    assert find_pii(versions) == []
    assert scrub("Connect to 81.2.69.160:8080 (version 1.2.3.4).")[0] == (
        "Connect to [IP]:8080 (version 1.2.3.4)."
    )


def test_a_private_address_in_a_manual_is_no_personal_data_and_scrub_keeps_it():
    # A router manual's "Open http://192.168.8.1" was flagged, and the check's next: line
    # proposed --scrub, which masks the product's own address; a public address still counts.
    text = "Open http://192.168.8.1 or 10.0.0.1 (loopback 127.0.0.1); the server is 81.2.69.142."
    assert [f.text for f in find_pii(text)] == ["81.2.69.142"]
    assert scrub(text)[0] == (
        "Open http://192.168.8.1 or 10.0.0.1 (loopback 127.0.0.1); the server is [IP]."
    )


def test_a_team_mailbox_is_no_personal_data_and_scrub_keeps_it():
    # lamini_docs answers "email support@lamini.ai": --scrub (which the check's next: line
    # proposes) masked it, and the model learnt to say "[EMAIL]" to a user asking for help.
    text = "Email support@lamini.ai or info@powerml.co, or write to jane.doe@lamini.ai."
    assert [f.text for f in find_pii(text)] == ["jane.doe@lamini.ai"]
    assert scrub(text)[0] == "Email support@lamini.ai or info@powerml.co, or write to [EMAIL]."


def test_fix_and_scrub_write_a_clean_file_in_the_original_shape(tmp_path):
    rows = [{"instruction": q, "input": "", "output": a} for q, a in FACTS]
    rows += [
        rows[0],
        {"instruction": "Who to email?", "input": "", "output": "Write to jane.doe@corp.io."},
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    drops = write_clean(report, tmp_path / "clean.jsonl", fix=True, scrub=True)
    assert drops == {6: "exact duplicate of d.jsonl:1"}
    written = [json.loads(line) for line in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert len(written) == 7 and set(written[0]) == {"instruction", "input", "output"}
    assert written[-1]["output"] == "Write to [EMAIL]."
    recheck = check_file(tmp_path / "clean.jsonl", config=TINY)
    assert not recheck.removals() and not recheck.pii


def test_the_personal_data_table_says_how_to_mask_it_and_no_more_when_all_is_listed(tmp_path):
    # Its note began with a stray space when no row was left out of the table.
    from tunelab.data.quality.report import sections

    rows = [{"instruction": q, "input": "", "output": a} for q, a in FACTS]
    rows.append(
        {"instruction": "Who to email?", "input": "", "output": "Write to jane.doe@corp.io."}
    )
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    table = next(s for s in sections(report) if s.title == "Personal data")
    assert table.note == "`--scrub -o FILE` masks them."
