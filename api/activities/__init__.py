"""Shared activities: date nights, shared activities, check-in talks."""
