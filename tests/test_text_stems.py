"""Words stemmed to match an answer's to a question's or a source's (`stems`): the plural and the
tense go, but an acronym's S is no plural."""

from __future__ import annotations

from tunelab.data.text import STOPWORDS, stems, worded_stems, words


def test_an_acronym_ending_in_s_is_no_plural_of_a_shorter_one():
    assert stems("Plain HTTP redirects to HTTPS.") == ["plain", "http", "redirect", "to", "https"]
    assert stems("Logs go to CloudWatch on AWS and to DOCS.", STOPWORDS) == [
        "log", "go", "cloudwatch", "aws", "docs",
    ]  # fmt: skip


def test_a_plural_or_a_status_in_capitals_is_stemmed_still():
    said = stems("The GPUs are RUNNING; a job was CANCELED", STOPWORDS)
    assert said == stems("the gpus are running; a job was canceled", STOPWORDS)
    assert said == ["gpu", "runn", "job", "cancel"]


def test_each_word_comes_with_its_stem_for_a_check_that_reads_both():
    text = "Plain HTTP redirects to HTTPS; 1990s servers"
    said = worded_stems(text)
    assert said[2:] == [("redirects", "redirect"), ("to", "to"), ("https", "https"),
                        ("1990s", "1990"), ("servers", "server")]  # fmt: skip
    assert [w for w, _ in said] == words(text) and [s for _, s in said] == stems(text)
