"""Outcomes over time, as pure functions: follow-up schedules, responder rates, completeness, durability.

The registry edge stores procedures and questionnaires; everything here takes plain values (days, scores)
and returns plain values, so the same analyses run on any store and are tested without one.
"""
