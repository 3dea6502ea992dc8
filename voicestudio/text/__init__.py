"""Text frontend: Mandarin, English and mixed text -> GPT-SoVITS v2 phones (+ BERT features).

Public entry points (import from the modules; this package stays import-light):

- ``frontend.get_phones_and_bert(text, mode, bert)`` / ``frontend.TextFrontend(lexicon)``:
  what synthesis and training call (phone ids, (1024, n_phones) features, normalised text).
- ``cleaner.LanguageCleaner.clean(text, lang)``: one language, no splitting.
- ``bert_features.load_bert_extractor(folder, device)``: warm chinese-roberta features.
- ``lexicon``: the user's pronunciation fixes (``lexicon.json`` per voice / narration).
- ``sentences.split_sentences``: long text -> chunks with offsets into the original;
  ``synthesis_text.pieces_for_synthesis``: the same chunks with upstream's piece rules.
- ``coverage.coverage_units``: initials/finals/tones/phonemes a recording covers.
- ``symbols``: the v2 symbol table; ``zh_polyphones.PolyphoneResolver``: G2PW-style plug-in.
"""
