"""Media, hash lists and matches (issue: media hash matching). Defined on store.metadata."""
