"""Three-valued criteria: rule sets as data, evaluated into explanation trees."""
