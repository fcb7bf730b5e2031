"""Training's own layers on a CPU, swapped in for the model's where they are slow: attention
inside each packed document, LoRA's adapted layers, the MLP's SwiGLU, RMSNorm, the rotary
embedding, and the fused loss's head gradient and tied embedding. Each gives autograd's result
(tests: float64 autograd) in fewer passes over memory."""
