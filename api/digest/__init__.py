"""The weekly digest: a couple's week in plain sentences, from its figures only."""
