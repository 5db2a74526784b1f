"""Package marker: pyproject.toml ships this folder as `surveytk._builtin.codebooks`."""
