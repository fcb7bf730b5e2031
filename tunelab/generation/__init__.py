"""Generation on a loaded model, shared by every stage that asks one (data generation, training's
held-out answers, eval, compare, the demo and the server): batching, the KV cache, how the next
token is chosen, where a reply ends, and decoding under a JSON schema."""
