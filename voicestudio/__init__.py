"""VoiceStudio: clone a voice with the GPT-SoVITS approach."""

__version__ = "0.1.0"
