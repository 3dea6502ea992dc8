"""Voice and narration folders on disk: schema, atomic saves, settings, data folder."""
