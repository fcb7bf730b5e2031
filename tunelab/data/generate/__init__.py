"""Making data: Q&A rows from documents (by rules, template/, or by asking a model), self-instruct
from seed pairs, and paraphrases of existing rows (augment/)."""
