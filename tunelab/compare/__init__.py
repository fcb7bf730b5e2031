"""Stage 5: does finetuning beat prompting? The same test questions asked four ways."""
