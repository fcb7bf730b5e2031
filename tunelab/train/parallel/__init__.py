"""Training on several processes started by torchrun (train.parallel): the processes' world and
DDP (distributed.py), FSDP2's sharded weights (sharding.py), and their checkpoints, a shard a
process (sharded_checkpoint.py)."""
