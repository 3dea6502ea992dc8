"""Speaking: reference clip + transcript + text -> 32 kHz audio (GPT-SoVITS v2 inference).

Kept import-free so ``voicestudio.synthesis.tiny_models`` or ``.reference`` can be used
without loading the whole pipeline. The entry points:

* ``pipeline.get_synthesizer(ModelFiles.base(data_dir) | ModelFiles.for_voice(...), device)``
  -> a warm ``Synthesizer``; ``.speak(SynthesisRequest(...), progress, cancel)`` ->
  ``SynthesisResult`` (audio, per-sentence offsets, warnings); ``speak_to_file`` saves a WAV;
* ``reference.load_reference`` / ``prepare_reference``: the reference checks on their own;
* ``tiny_models.install_tiny_base_models``: the tiny base-model set for tests and demos.
"""
