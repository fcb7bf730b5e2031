"""Error analysis's misspellings: words a reader would call misspelt, and no others."""

from tests.test_errors_analysis import TRAINING, categories, row
from tunelab.data.example import Example
from tunelab.evaluate.analysis import analyse


def test_a_prefix_before_its_hyphen_is_no_misspelling_and_a_typo_beside_one_still_is():
    # The default model's answers on lamini_docs were misspelt for "pre" (of "pre-trained" and
    # "pre-processing"), words the dictionary lacks alone.
    said = row("How is it trained?", "It is finetuned.",
               "A pre-trained model, with pre-processing and a multi-turn, well-known format.")  # fmt: skip
    analyse([said], [])
    assert "misspelling" not in categories(said), said["errors"]
    typo = row("How is it trained?", "It is finetuned.", "A pre-trainned, hig-quality model.")
    analyse([typo], [])
    spelled = next(e for e in typo["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: hig, trainned"


def test_words_of_the_training_data_are_not_misspellings():
    r = row("Which tool?", "Use the CLI.", "Use tunelab finetuning with qlora.")
    analyse([r], [Example.qa("q", "tunelab finetuning qlora", "t:1")])
    assert "misspelling" not in categories(r)


def test_words_the_dictionary_lacks_but_engineers_write_are_not_misspellings():
    # A walk's base answers were flagged for "esports" and "superset", its own set for "obj".
    r = row("Which tool?", "Use the CLI.", "A superset of esports args: pass obj and kwargs.")
    analyse([r], [])
    assert "misspelling" not in categories(r)
    typo = row("Which tool?", "Use the CLI.", "A supreset of the argz.")
    analyse([typo], [])
    assert "misspelling" in categories(typo)


def test_tech_and_dev_words_the_dictionary_lacks_are_not_misspellings():
    # A short demo run's answer, "free, low-cost, low-tech education", was misspelt for "tech";
    # the English dictionary also lacks "dev", "devs", "signup" and "toolkits".
    r = row("What is it?", "A toolkit.", "A low-tech toolkit for devs: one signup, two toolkits, "
            "dev and edtech.")  # fmt: skip
    analyse([r], [])
    assert "misspelling" not in categories(r), r["errors"]
    typo = row("What is it?", "A toolkit.", "A low-tehc toolkit for developers.")
    analyse([typo], [])
    spelled = next(e for e in typo["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: tehc"


def test_a_known_word_with_a_suffix_the_dictionary_lacks_is_no_misspelling():
    # The embedded model's answer on lamini_docs was misspelt for "customizable"; the English
    # dictionary lacks many such words made of one it knows.
    r = row("Can I change it?", "Yes.", "Yes, it is customizable and debuggable, with "
            "versioning, tokenization and explainability.")  # fmt: skip
    analyse([r], [])
    assert "misspelling" not in categories(r), r["errors"]
    typo = row("Can I change it?", "Yes.", "Yes, it is customizible and runing.")
    analyse([typo], [])
    spelled = next(e for e in typo["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: customizible, runing"


def test_addresses_code_a_word_cut_off_and_contractions_are_no_errors():
    # A URL's path ("installguide"), a model id ("EleutherAI" as "eleuther") and the word a reply
    # cut off at its token limit ends in ("`crit") were misspellings; "don't" and "they'll" gave
    # the topic words "don", "t", "ll", and an on-topic answer read as off-topic.
    linked = row("Where is the quickstart?", "See the docs.",
                 "The guide is at https://docs.example.com/quickstart/installguide and uses "
                 "EleutherAI/pythia-410m with `tokenizr.fit()`.")  # fmt: skip
    cut = row("What are the criteria?", "The criteria are listed.", "The criteria are the `crit",
              finish="length")  # fmt: skip
    spelt = row("Is it free?", "No, you pay for it.", "It's not free, you don't get it without "
                "paying; they'll charge you.")  # fmt: skip
    analyse([linked, cut, spelt], [])
    for r in (linked, cut, spelt):
        assert "misspelling" not in categories(r), r["errors"]
    assert "off_topic_answer" not in categories(spelt), spelt["errors"]
    typo = row("Is it free?", "No.", "You wil pay, it is not fre", finish="length")
    analyse([typo], [])
    assert "misspelling" in categories(typo)  # "wil" is still one; "fre", cut off, is not said


def test_field_words_and_other_test_rows_words_are_not_misspellings_without_training_data():
    # A base model has no training data: the field's words and the test set's own words count.
    rows = [
        row("Which file?", "The lamini dataset.", "The dataset has tokenizer settings."),
        row("How to serve?", "Use tunelab.", "Use vLLM or llama.cpp or Ollama on safetensors."),
        row("Where?", "On our servers.", "Our blockchain app runs on Kubernetes with PostgreSQL."),
        row("What is it?", "Lamini trains language models.", "A lamini thing, misspeled."),
    ]
    analyse(rows)
    assert "misspelling" not in categories(rows[0]) | categories(rows[1]) | categories(rows[2])
    spelled = next(e for e in rows[3]["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: misspeled"


def test_accented_words_are_not_cut_into_misspelled_fragments():
    r = row("What is in the cup?", "Coffee.", "A café latte, naïve as Schrödinger's cat.")
    analyse([r], TRAINING)
    assert "misspelling" not in categories(r)  # not "caf", "schr", "dinger"


def test_terms_of_the_question_and_contractions_are_not_misspellings():
    # Known words count whole: "NumPy" is not cut to "num", nor "gpt4" to "gpt"; the dictionary
    # knows "isn't" but not its fragment "isn".
    r = row("Is NumPy like gpt4?", "No.", "NumPy isn't gpt4, it doesn't generate a misspeled text.")
    analyse([r])
    spelled = next(e for e in r["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: misspeled"


def test_french_and_german_answers_are_spelled_by_their_own_dictionary_and_swedish_by_none():
    french = row(
        "Comment exporter le modèle ?",
        "Utilisez tunelab export RUN.",
        "Pour exporter le modèle, lancez la commande tunelab export avec le dossier du run.",
    )
    german = row(
        "Wie starte ich das Training?",
        "Mit tunelab train config.yaml.",
        "Man ruft einfach den Befehl tunelab train auf; danach liegen die Gewichte im Ordner.",
    )
    french_typo = row(
        "Comment exporter le modèle ?",
        "Utilisez tunelab export RUN.",
        "Lancez la comande tunelab export avec le dossier du run.",
    )
    swedish = row(
        "Vad heter huvudstaden?",
        "Stockholm.",
        "Det är huvudstaden i Sverige och den ligger vid havet.",
    )
    analyse([french, german, french_typo, swedish])
    assert french["errors"] == []  # the English dictionary called it misspelled
    assert "misspelling" not in categories(german)
    spelled = next(e for e in french_typo["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: comande"
    assert "misspelling" not in categories(swedish)


def test_no_dictionary_is_loaded_for_answers_with_no_word_to_look_up(monkeypatch):
    # Loading each language's dictionary takes seconds; an answer of the data's own words, or in
    # Chinese, has nothing to look up in any.
    from tunelab.evaluate import spelling

    loaded = []
    monkeypatch.setattr(spelling, "spelling_dictionary", lambda text: loaded.append(text))
    rows = [
        row("What is a LoRA adapter?", "Small trainable matrices.", "Trainable matrices added."),
        row("怎么导出模型？", "用 tunelab export。", "运行导出命令就行了。"),
    ]
    analyse(rows, TRAINING)
    assert loaded == [] and all("misspelling" not in categories(r) for r in rows)


def test_a_typo_the_model_learnt_from_its_data_is_a_misspelling_named_with_its_rows():
    # lamini_docs says "fostes" once (line 16) and "fosters" elsewhere: every data word was taken
    # as spelt right, so an answer that learnt the typo was never called misspelt.
    training = [
        Example.qa("What does the company do?", "The company fostes an inclusive culture.", "t:16"),
        Example.qa("What does the team do?", "The team fosters collaboration.", "t:17"),
        Example.qa("What does the lab do?", "The lab fosters open research.", "t:18"),
        Example.qa("What is Lamini?", "Lamini trains models.", "t:19"),
    ]
    r = row("What is its culture like?", "It fosters an inclusive culture.",
            "The company fostes an inclusive culture with Lamini.")  # fmt: skip
    analyse([r], training)
    spelled = next(e for e in r["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == (
        "unknown words: fostes (as in t:16; the data says 'fosters' more often: fix it there)"
    )
    # The data's own words that no dictionary knows stay words ("Lamini"), as does a word the
    # data spells one way only.
    assert "lamini" not in spelled["reason"]


def test_privacy_words_of_the_field_are_not_misspellings():
    # The lamini run's answer on sensitive data was misspelt for "anonymization".
    r = row("How is private data handled?", "It is protected.",
            "Data is anonymized or pseudonymized; anonymization runs before training.")  # fmt: skip
    analyse([r], [])
    assert "misspelling" not in categories(r), r["errors"]


def test_a_product_name_one_letter_from_a_common_word_is_no_misspelling():
    # lamini_docs names "Istio or Linkerd" once and says "linked" in two rows: "linkerd" was
    # called a typo of "linked". The data writes a name capitalised inside a sentence, a typo
    # as its word ("fucntion"), which stays a misspelling.
    training = [
        Example.qa("How do I observe it?", "Use a service mesh such as Istio or Linkerd.", "t:1"),
        Example.qa("Where are the docs?", "They are linked from the home page.", "t:2"),
        Example.qa("Is the guide online?", "It is linked in the README.", "t:3"),
        Example.qa("How do I call it?", "Call the fucntion with a prompt.", "t:4"),
        Example.qa("What does it take?", "The function takes a prompt.", "t:5"),
        Example.qa("What does it return?", "The function returns text.", "t:6"),
    ]
    r = row("How do I watch the traffic?", "Use a service mesh.",
            "Use linkerd, then call the fucntion.")  # fmt: skip
    analyse([r], training)
    spelled = next(e for e in r["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == (
        "unknown words: fucntion (as in t:4; the data says 'function' more often: fix it there)"
    )
