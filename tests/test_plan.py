"""`tunelab plan` sizes a run from the model's shape alone: the parameter counts are the published
ones, one layer's activations are what autograd keeps to the byte, and the command says whether
the run fits."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from tunelab.errors import TunelabError
from tunelab.train.plan.activations import checkpointed_layer, layer_activations
from tunelab.train.plan.estimate import estimate, precision_of
from tunelab.train.plan.settings import PlanConfig
from tunelab.train.plan.shapes import ATTENTION, MLP, Shape, shape_of

# The totals the models' own safetensors indexes (and model cards) report.
PUBLISHED = {
    "SmolLM2-135M": 134_515_008,
    "Llama-3.2-1B": 1_235_814_400,
    "Llama-3.2-3B": 3_212_749_824,
    "Llama-3.1-8B": 8_030_261_248,
    "Llama-3.1-70B": 70_553_706_496,
    "Qwen2.5-0.5B": 494_032_768,
    "Qwen2.5-7B": 7_615_616_512,
    "Qwen2.5-72B": 72_706_203_648,
}


@pytest.mark.parametrize("name", PUBLISHED)
def test_known_shapes_count_the_published_parameters(name):
    assert shape_of(name).parameters() == PUBLISHED[name]


def test_hub_ids_instruct_names_and_the_embedded_default_find_their_shape():
    assert shape_of("meta-llama/Llama-3.1-8B-Instruct") == shape_of("llama-3.1-8b")
    assert shape_of("smollm2-135m-instruct").parameters() == PUBLISHED["SmolLM2-135M"]


def test_a_folder_or_config_json_gives_the_shape_its_model_has(tmp_path, tiny):
    from tunelab.models.random_weights import tiny_random

    model, _ = tiny_random(num_hidden_layers=3, intermediate_size=96, tie_word_embeddings=False)
    model.save_pretrained(tmp_path / "m")
    count = sum(p.numel() for p in model.parameters())
    assert shape_of(str(tmp_path / "m")).parameters() == count
    assert shape_of(str(tmp_path / "m" / "config.json")).parameters() == count
    assert shape_of("tiny-random").parameters() == sum(p.numel() for p in tiny[0].parameters())


def test_an_unknown_name_says_what_the_plan_knows():
    with pytest.raises(TunelabError, match="no shape known without downloading.*Llama-3.1-8B"):
        shape_of("someone/unknown-7b")


def test_a_known_model_mistyped_is_named_after_the_list(tmp_path, monkeypatch):
    # `tunelab plan Lama-3.1-8B` listed every known model but named none as the one meant.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TunelabError, match=r"weights needed\)\. Did you mean Llama-3\.1-8B\?$"):
        shape_of("Lama-3.1-8B")
    with pytest.raises(TunelabError) as unknown:  # a name like none of them is offered none
        shape_of("Mistral-7B")
    assert "Did you mean" not in str(unknown.value)


def test_a_missing_folder_that_could_be_a_hub_id_is_said_to_be_missing_here_too(
    tmp_path, monkeypatch
):
    # `tunelab plan runs/mine`, no such run here, said only that no hub id's shape was known.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TunelabError) as run:
        shape_of("runs/mine")
    assert str(run.value).startswith(
        "model 'runs/mine': no folder runs/mine here; as a hub id, no shape known without "
    )
    (tmp_path / "models" / "theirs").mkdir(parents=True)  # a folder of models here
    with pytest.raises(TunelabError, match=r"no folder models/mine here \(in models/: theirs\); "):
        shape_of("models/mine")
    with pytest.raises(TunelabError) as hub_id:  # no folder someone/ here: a hub id alone
        shape_of("someone/unknown-7b")
    assert str(hub_id.value).startswith("model 'someone/unknown-7b': no shape known without ")
    (tmp_path / "runs" / "mine").mkdir(parents=True)  # a letter off: offered, as train does
    with pytest.raises(TunelabError, match=r"weights needed\)\. Did you mean runs/mine\?$"):
        shape_of("runs/mime")


def test_a_mistyped_run_lists_its_folder_of_runs_once(tmp_path, monkeypatch):
    # `tunelab plan runs/mime`: runs/ was listed to see it holds runs, then again for the hint.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    (tmp_path / "runs" / "mine" / "config.yaml").write_text("name: mine\n")
    listed, iterdir = [], Path.iterdir
    monkeypatch.setattr(Path, "iterdir", lambda folder: listed.append(folder) or iterdir(folder))
    with pytest.raises(TunelabError, match=r"\(in runs/: mine\).*Did you mean runs/mine\?$"):
        shape_of("runs/mime")
    assert listed == [Path("runs")]


def test_a_run_named_alone_or_a_missing_path_is_told_as_generate_tells_it(tmp_path, monkeypatch):
    # `tunelab plan mine` beside runs/mine: the run was meant, as `tunelab generate mine` says.
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    (tmp_path / "runs" / "mine" / "config.yaml").write_text("name: mine\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TunelabError, match="Did you mean runs/mine"):
        shape_of("mine")
    with pytest.raises(TunelabError, match="'./mnie': no such file or folder"):
        shape_of("./mnie")


needs_bnb = pytest.mark.skipif(
    importlib.util.find_spec("bitsandbytes") is None, reason="bitsandbytes is not installed"
)
SMALL = Shape(vocab=300, hidden=128, layers=1, heads=4, kv_heads=2, intermediate=384, tied=True)
TOKENS = (3, 64)  # rows x length: 192 tokens, a count no weight dimension shares


def saved_per_token(
    layers, method, dropout, packed, dtype, autocast, checkpointing, targets="all-linear"
):
    """Bytes autograd keeps for the backward pass of a model with `layers` layers, per token,
    weights and autocast's copies of them left out (the plan counts those apart)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from tunelab.config import TrainConfig
    from tunelab.train.loss import token_loss_sum
    from tunelab.train.setup import prepare_model

    s = SMALL
    config = LlamaConfig(
        vocab_size=s.vocab,
        hidden_size=s.hidden,
        intermediate_size=s.intermediate,
        num_hidden_layers=layers,
        num_attention_heads=s.heads,
        num_key_value_heads=s.kv_heads,
    )
    torch.manual_seed(0)
    train = TrainConfig(
        method="full" if method == "full" else "lora",
        lora={"dropout": dropout, "target_modules": targets},
        gradient_checkpointing=checkpointing,
    )
    model = LlamaForCausalLM(config).to(dtype)
    if method == "qlora":  # the same model, its projections quantized by bitsandbytes
        import tempfile

        from tunelab.models.quantized import load_quantized
        from tunelab.models.random_weights import tiny_tokenizer

        with tempfile.TemporaryDirectory() as folder:
            model.save_pretrained(folder)
            tiny_tokenizer().save_pretrained(folder)
            model, _ = load_quantized(folder, "nf4", dtype)
    model = prepare_model(model, train).train()
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    matrices = {tuple(p.shape) for p in model.parameters() if p.ndim == 2}
    matrices |= {m[::-1] for m in matrices}
    kept = {}

    def pack(t):
        storage = t.untyped_storage()
        cast = autocast and t.dtype == torch.bfloat16 and tuple(t.shape) in matrices
        if storage.data_ptr() not in weights and not cast:
            kept[storage.data_ptr()] = storage.nbytes()
        return t

    rows, length = TOKENS
    ids = torch.randint(0, s.vocab, (rows, length))
    half = torch.arange(length // 2)
    positions = (torch.cat([half, half]) if packed else torch.arange(length)).repeat(rows, 1)
    batch = {"input_ids": ids, "position_ids": positions, "targets": ids}
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            token_loss_sum(model, batch)
    return sum(kept.values()) / (rows * length)


@pytest.mark.parametrize(
    "method, dropout, packed, dtype, autocast, checkpointing",
    [
        ("full", 0.0, False, torch.float32, False, False),
        ("full", 0.0, True, torch.float32, False, False),
        ("full", 0.0, True, torch.bfloat16, False, False),
        ("full", 0.0, True, torch.float32, True, False),
        ("lora", 0.0, True, torch.float32, False, False),
        ("lora", 0.1, True, torch.float32, False, False),
        ("lora", 0.0, False, torch.bfloat16, False, False),
        ("lora", 0.1, True, torch.float32, True, False),
        ("lora", 0.1, True, torch.float32, False, True),
        pytest.param("qlora", 0.1, True, torch.bfloat16, False, False, marks=needs_bnb),
        pytest.param("qlora", 0.0, True, torch.bfloat16, False, False, marks=needs_bnb),
    ],
)
def test_one_layer_keeps_what_the_plan_says_to_the_byte(
    method, dropout, packed, dtype, autocast, checkpointing
):
    args = (method, dropout, packed, dtype, autocast, checkpointing)
    measured = saved_per_token(2, *args) - saved_per_token(1, *args)  # one layer's share
    weights = 2 if dtype == torch.bfloat16 else 4
    if autocast:  # CPU autocast casts as CUDA's does; its dropout keeps a float32 mask
        cuda = precision_of("cuda", weights, False, False)
        precision = replace(cuda, mask=4, fused_norm=weights == 4)  # tunelab's norm: a CPU
    else:
        precision = precision_of("cpu", weights, method == "qlora", False)
    method = "full" if method == "full" else "lora"
    if checkpointing:
        rows = checkpointed_layer(SMALL, precision)
    else:
        rows = layer_activations(
            SMALL,
            precision,
            trained=method,
            targets=ATTENTION + MLP,
            r=16,
            dropout=dropout > 0,
            repeated_kv=packed,
            mask_length=TOKENS[1] if packed else 0,
        )
    assert measured == sum(row.per_token for row in rows)


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize(
    "targets",
    [["q_proj", "down_proj", "lm_head"], ["q_proj", "embed_tokens"], ["embed_tokens", "lm_head"]],
)
def test_lora_on_lm_head_or_embed_tokens_plans_the_adapters_training_builds(
    tmp_path, tied, targets
):
    from tunelab.config import TrainConfig
    from tunelab.models.random_weights import tiny_random
    from tunelab.train.setup import prepare_model

    model, _ = tiny_random(tie_word_embeddings=tied)
    model.config.save_pretrained(tmp_path)
    weights = sum(p.numel() for p in model.parameters())
    lora = {"r": 8, "target_modules": targets}
    trained = prepare_model(model, TrainConfig(method="lora", lora=lora))
    adapters = sum(p.numel() for p in trained.parameters() if p.requires_grad)
    plan = estimate(PlanConfig(model=str(tmp_path), lora_r=8, lora_targets=targets, device="cpu"))
    parts = {part.name: part.bytes for part in plan.parts}
    assert parts["weights"] == weights * 4
    assert parts["LoRA adapters"] == parts["gradients"] == adapters * 4
    assert parts["AdamW state"] == adapters * 8


def embedding_saved_per_token(dropout: float) -> float:
    """Bytes autograd keeps for the backward pass of LoRA on embed_tokens alone, per token."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from tunelab.config import TrainConfig
    from tunelab.train.setup import prepare_model

    s = SMALL
    config = LlamaConfig(
        vocab_size=s.vocab, hidden_size=s.hidden, intermediate_size=s.intermediate,
        num_hidden_layers=1, num_attention_heads=s.heads, num_key_value_heads=s.kv_heads,
    )  # fmt: skip
    lora = {"dropout": dropout, "target_modules": ["embed_tokens"]}
    model = prepare_model(LlamaForCausalLM(config), TrainConfig(method="lora", lora=lora)).train()
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    kept = {}

    def pack(t):
        if t.untyped_storage().data_ptr() not in weights:
            kept[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    rows, length = TOKENS
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model.get_input_embeddings()(torch.randint(0, s.vocab, (rows, length)))
    return sum(kept.values()) / (rows * length)


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_lora_on_embed_tokens_keeps_what_the_plan_says(dropout):
    # The adapter keeps the ids and A's output; every layer then keeps what a frozen layer keeps
    # for its input's gradient, which the embedding's adapter needs.
    args = ("lora", dropout, True, torch.float32, False, False)
    embed = ["embed_tokens"]
    layer = saved_per_token(2, *args, targets=embed) - saved_per_token(1, *args, targets=embed)
    settings = dict(lora_dropout=dropout, device="cpu", batch_size=TOKENS[0])
    plan = estimate(PlanConfig(lora_targets=embed, max_length=TOKENS[1], **settings), SMALL)
    assert layer == sum(row.per_token for row in plan.per_layer)
    parts = {part.name: part.bytes for part in plan.parts}
    planned = parts["activations: LoRA on embed_tokens"] / (TOKENS[0] * TOKENS[1])
    assert embedding_saved_per_token(dropout) == planned


@pytest.mark.parametrize("checkpointing", [False, True])
def test_lora_on_lm_head_alone_keeps_nothing_in_the_frozen_layers(checkpointing):
    # Nothing below the head has a gradient; gradient checkpointing alone makes the embeddings'
    # output require one (train/setup.py), and each layer then keeps its input.
    args = ("lora", 0.1, True, torch.float32, False, checkpointing)
    head = ["lm_head"]
    layer = saved_per_token(2, *args, targets=head) - saved_per_token(1, *args, targets=head)
    settings = dict(lora_dropout=0.1, device="cpu", batch_size=TOKENS[0])
    cfg = PlanConfig(
        lora_targets=head, max_length=TOKENS[1], gradient_checkpointing=checkpointing, **settings
    )
    parts = {part.name: part.bytes for part in estimate(cfg, SMALL).parts}
    kept = parts.get("activations", 0) + parts.get("activations: layer inputs", 0)
    assert layer == kept / (SMALL.layers * TOKENS[0] * TOKENS[1])
    assert ("backward working set" in parts) == checkpointing


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_lora_on_lm_head_keeps_what_the_plan_adds_to_the_loss(dropout):
    # The head's adapter unfuses the loss: autograd keeps every trained token's log-probabilities.
    args = ("lora", dropout, True, torch.float32, False, False)
    head = ["q_proj", "lm_head"]
    measured = saved_per_token(1, *args, targets=head) - saved_per_token(1, *args, ["q_proj"])
    settings = dict(lora_dropout=dropout, device="cpu", batch_size=TOKENS[0])
    cfg = PlanConfig(lora_targets=head, max_length=TOKENS[1], **settings)
    parts = {part.name: part.bytes for part in estimate(cfg, SMALL).parts}
    planned = parts["loss: LoRA on lm_head"] / (TOKENS[0] * TOKENS[1])
    assert measured == pytest.approx(planned, abs=0.1)  # the summed loss: 4 B in all
    without = PlanConfig(lora_targets=["q_proj"], max_length=TOKENS[1], **settings)
    assert "loss: LoRA on lm_head" not in {part.name for part in estimate(without, SMALL).parts}


def test_fsdp_splits_weights_gradients_and_adamw_state_over_the_processes():
    one = estimate(PlanConfig(model="Llama-3.1-8B", method="full", device="cuda"))
    eight = estimate(
        PlanConfig(model="Llama-3.1-8B", method="full", device="cuda", processes=8, parallel="fsdp")
    )
    size = {p.name: p.bytes for p in one.parts}
    split = {p.name: p.bytes for p in eight.parts}
    for part in ("weights", "gradients", "AdamW state"):
        assert split[part] == pytest.approx(size[part] / 8)
    assert size["AdamW state"] == 8 * 8_030_261_248  # float32 m and v
    assert "FSDP gathered weights" in split and "FSDP gathered weights" not in size


def test_qlora_holds_the_layers_in_about_half_a_byte_a_weight():
    shape = shape_of("Llama-3.1-8B")
    plan = estimate(PlanConfig(model="Llama-3.1-8B", method="qlora", device="cuda"))
    weights = next(p.bytes for p in plan.parts if p.name == "weights")
    matrices = shape.layers * shape.layer_matrices()
    rest = shape.parameters() - matrices
    assert weights == pytest.approx(matrices * 0.516 + rest * 2, rel=1e-3)  # the rest in bf16


def test_gradient_checkpointing_keeps_one_input_per_layer_instead_of_the_layer():
    plain = estimate(PlanConfig(device="cpu"))
    checkpointed = estimate(PlanConfig(device="cpu", gradient_checkpointing=True))
    assert checkpointed.peak < plain.peak / 2


def test_ddp_holds_a_bucket_copy_of_the_gradients_on_each_process():
    one = estimate(PlanConfig(model="Llama-3.2-1B", method="full", device="cuda"))
    two = estimate(PlanConfig(model="Llama-3.2-1B", method="full", device="cuda", processes=2))
    size = {p.name: p.bytes for p in two.parts}
    assert "DDP gradient buckets" not in {p.name for p in one.parts}
    assert size["DDP gradient buckets"] == size["gradients"] == 4 * 1_235_814_400
    assert two.peak == pytest.approx(one.peak + size["gradients"])


def test_a_llama_config_with_attention_bias_counts_the_o_proj_bias(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, attention_bias=True,
    )  # fmt: skip
    config.save_pretrained(tmp_path)
    count = sum(p.numel() for p in LlamaForCausalLM(config).parameters())
    assert shape_of(str(tmp_path / "config.json")).parameters() == count


def test_phi3s_fused_projections_are_planned_as_the_ones_they_fuse():
    # A Phi-3 run trained with target_modules [qkv_proj, o_proj] could not be planned.
    fused = PlanConfig(model="SmolLM2-135M", device="cpu", lora_targets=["qkv_proj", "o_proj"])
    plain = PlanConfig(
        model="SmolLM2-135M", device="cpu", lora_targets=["q_proj", "k_proj", "v_proj", "o_proj"]
    )
    assert estimate(fused).peak == estimate(plain).peak
