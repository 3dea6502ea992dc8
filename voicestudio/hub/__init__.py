"""Base models: which files VoiceStudio needs, where they live, and how they get there.

``registry`` says what each base model is and whether it is installed; ``download`` fetches
it from the Hugging Face hub (or a mirror) with progress, resume and checksums; ``importer``
copies it from a GPT-SoVITS folder or a local faster-whisper folder. Every install ends the
same way (``registry.finalize_install``) so the rest of the app sees one layout.
"""
