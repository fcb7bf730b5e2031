"""The names and shapes of the models built with random weights (tunelab.models.random_weights),
in a module without torch: a model's name is checked (tunelab.models.names) before anything
loads, and `tunelab data generate` in template mode loads no model at all."""

TINY_NAME = "tiny-random"
# The tiny test model's shape, which any decoder family's config takes (tests build Mistral,
# Qwen2 and Gemma 2 ones with it).
TINY_SHAPE = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=2048,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=2,
)

# Randomly initialised shapes on the embedded tokenizer, for throughput benchmarks.
RANDOM_SHAPES = {
    "random-smollm2-135m": dict(
        hidden_size=576,
        intermediate_size=1536,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
    ),
    # Llama-3.2-1B's shape, its 128k vocabulary included: the loss's cost depends on it.
    "random-llama-1b": dict(
        vocab_size=128256,
        hidden_size=2048,
        intermediate_size=8192,
        num_hidden_layers=16,
        num_attention_heads=32,
        num_key_value_heads=8,
        rope_theta=500000.0,
    ),
}
