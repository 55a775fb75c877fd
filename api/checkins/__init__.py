"""Check-ins: each partner's rating of a day, shown to the other only once they have
rated the same day."""
