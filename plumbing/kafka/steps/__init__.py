"""The consumer's steps, one concern per module; `abstract` holds the interface they share."""
