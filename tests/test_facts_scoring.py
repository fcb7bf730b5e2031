"""Fact scoring reads an answer whole: the rules the audits set for values, names, negations and
retractions hold together, and a value the answer says was so before, or offers as a guess, is no
fact it states now (negations: test_facts_negation.py; values: test_facts_values.py)."""

import pytest

from tests.conftest import fact_accurate


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        ("7b", "Use a 7B model.", True),  # a model size in either case
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


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        ("CC-BY", "It is released under CC-BY-SA.", False),  # another license
        ("CC-BY", "It is released under CC BY-SA 4.0.", False),
        ("gpt-3.5-turbo", "It calls gpt-3.5-turbo-16k.", False),  # another model
        ("Llama-2-7b", "Start from Llama-2-7b-chat.", False),
        ("CC-BY", "It is released under the CC-BY license.", True),
        ("CC-BY", "It is CC-BY, not CC-BY-SA.", True),
        ("CC-BY", "It is released under CC-BY-4.0.", True),  # SPDX's name of CC-BY 4.0
        ("CC-BY", "It ships CC-BY-licensed images.", True),
        ("Phi-3", "It runs Phi-3 mini.", True),  # a variant said apart: `data facts` proposes it
        ("Phi-3", "It runs Phi-3-mini.", True),  # the same variant, hyphened
        ("Phi-3", "It runs Phi-3-mini-4k-instruct.", True),  # a Phi-3 mini checkpoint
        # A size, a version, the weights' format or a participle hyphened on says it too.
        ("Llama-2", "Start from Llama-2-7b.", True),
        ("GPT-J", "It fine-tunes GPT-J-6B.", True),
        ("Mistral-7B", "Download Mistral-7B-v0.1.", True),
        ("Llama-2-7b", "Load meta-llama/Llama-2-7b-hf.", True),
        ("Llama-2-7b", "Load TheBloke/Llama-2-7b-GGUF.", True),
        ("UTF-8", "Files must be UTF-8-encoded.", True),
        ("Llama-2-7b", "Load Llama-2-7b-chat-hf.", False),  # the chat model, in HF's format
        # A non-breaking hyphen (U+2011), as chat models often write one, is a hyphen too.
        ("gpt-3.5-turbo", "It calls gpt\u20113.5\u2011turbo\u201116k.", False),
        ("GPT\u20114", "It runs GPT-4-turbo.", False),
        ("gpt-3.5-turbo", "It calls gpt\u20113.5\u2011turbo.", True),
        # However the fact joins its words: "CC BY" is no more said by CC BY-SA than "CC-BY" is.
        ("CC BY", "It is released under CC-BY-SA.", False),
        ("CC BY", "It is released under CC BY-SA 4.0.", False),
        ("CC BY", "It is released under the CC BY license.", True),
        ("CC BY", "It is released under CC-BY 4.0.", True),
        ("Llama 2", "Start from Code-Llama-2.", False),
        ("Llama 2", "Start from Llama-2-7b.", True),
        # A family is said by its chat or instruction tuning; a sized checkpoint is not.
        ("Llama 2", "Start from Llama-2-chat.", True),
        ("Llama-2", "Start from Llama-2-chat.", True),
        ("Mistral-7B", "Start from Mistral-7B-Instruct.", False),
        # ...nor an API model's tier: gpt-3.5-turbo-instruct is a completion model, another one.
        ("gpt-3.5-turbo", "It calls gpt-3.5-turbo-instruct.", False),
        ("Gemini 1.5 Pro", "It calls gemini-1.5-pro-chat.", False),
        # A size word still takes it: Phi-3.5-mini is published only as its instruct model.
        ("Phi-3.5-mini", "It runs Phi-3.5-mini-instruct.", True),
        # Claude's tiers are its variants, as Phi-3's sizes are.
        ("Claude 3", "It calls Claude-3-opus.", True),
        ("Claude-3", "It calls claude-3-haiku-20240307.", True),
        # ...and its "-chat" names no other model, as gpt-3.5-turbo-instruct does.
        ("Claude 3 Opus", "It calls claude-3-opus-chat.", True),
        # A model that is like it, of its class or its style is another one; one based on it uses it.
        ("GPT-4", "It answers with a GPT-4-like model.", False),
        ("GPT-4", "It answers with a GPT-4-class model.", False),
        ("GPT 4", "It writes GPT-4-style prompts.", False),
        ("GPT-4", "It answers with a GPT-4-based assistant.", True),
        # An adjective of what depends on it or handles it says it ("-dependent" was missed)...
        ("learning rate", "Use a learning rate-dependent schedule.", True),
        ("batch size", "The loss is batch size-sensitive.", True),
        ("UTF-8", "It is a UTF-8-safe parser.", True),
        ("Llama-2", "It is a Llama-2-centric pipeline.", True),
        # ...one that says it is absent or does not matter does not, as "without" does not.
        ("learning rate", "Use a learning rate-free optimizer.", False),
        ("learning rate", "Use it without a learning rate.", False),
        ("learning rate", "Use a learning rate-agnostic optimizer.", False),
    ],
)
def test_a_hyphened_name_is_not_said_by_a_longer_one(fact, answer, stated):
    assert fact_accurate(fact, answer) is stated


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # A tier before or after the version names one model ("Claude Opus 3" was no Claude 3
        # Opus), the version whole and the three adjacent.
        ("Claude 3 Opus", "It runs Claude Opus 3.", True),
        ("Claude 3 Opus", "It calls claude-opus-3.", True),
        ("Claude Opus 4", "It runs Claude 4 Opus.", True),
        ("Gemini 1.5 Pro", "It runs Gemini Pro 1.5.", True),
        ("Claude 3 Opus", "It runs Claude Opus 3.5.", False),
        ("Claude 3 Opus", "It runs Claude Opus 4.", False),
        ("Gemini 1.5 Pro", "It runs Gemini Flash 1.5.", False),
        ("Claude 3 Opus", "It does not run Claude Opus 3.", False),
        ("Claude 3 Opus", "Claude wins; Opus 3 times in a row.", False),
    ],
)
def test_a_model_s_tier_is_said_before_or_after_its_version(fact, answer, stated):
    assert fact_accurate(fact, answer) is stated
