"""The built-in codebooks and analysis specs, as package data.

In the repository they live top-level in ``codebooks/`` and ``analyses/``;
``pyproject.toml`` maps them to the subpackages ``surveytk._builtin.codebooks`` and
``surveytk._builtin.analyses`` so that wheels, sdists and editable installs all carry
them. Read them through :mod:`surveytk.paths`, never by path arithmetic.
"""
