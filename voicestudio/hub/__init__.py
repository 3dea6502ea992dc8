"""Base models: which files VoiceStudio needs, where they live, and how they get there.

``catalogue`` says what each base model is and which files it has; ``layout`` where its
folder is; ``marker`` reads and writes the ``model.json`` that makes a folder installed;
``status`` says whether a model is usable (and what to do when it is not); ``install`` puts a
model in place, one install at a time. ``download`` fetches it from the Hugging Face hub (or
a mirror) with progress, resume and checksums; ``importer`` copies it from a GPT-SoVITS
folder or a local faster-whisper folder. Every install ends the same way
(``install.finalize_install``) so the rest of the app sees one layout.
"""
