"""Built-in rule packs (YAML data), installed as the package data of `pulllint.packs`.

This file only makes the folder importable as `pulllint.packs` (pyproject.toml maps it there), so
pulllint finds the packs both in a checkout (editable install) and in the wheel. It never
becomes a top-level `rules` package: the wheel lists its packages explicitly.
"""
