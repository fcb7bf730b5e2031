"""Template mode: Q&A pairs from a document by rules, no model. template_qa.py is the entry point
(a chunk's pairs); the other modules are its grammar: how a heading reads (heading_grammar,
heading_words, titles, headings), how a sentence's subject, verb and phrases ask (subject_and_verb,
word_classes, copula, verb_questions, phrases, step_measures, denials, questions; second_person,
"your" asked as "my"), and the blocks, entries, tables and definitions a section is read by
(blocks, section_answer, entries, written_pairs, capitals); the one full stop an answer ends
with (sentence_end)."""
