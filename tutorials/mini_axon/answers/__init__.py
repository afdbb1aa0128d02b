"""Model answers, one file per chapter; each file contains everything before it."""
