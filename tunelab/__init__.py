"""tunelab: finetune, evaluate and run a small language model of your own, on your own machine."""

from tunelab.config import Config
from tunelab.errors import TunelabError

__all__ = ["Config", "TunelabError", "train"]


def train(config: Config):
    """Finetune as `config` says and return the run folder (same as `tunelab train cfg.yaml`)."""
    from tunelab.train.loop import train as _train

    return _train(config)
