"""``python -m surveytk``: the same as the ``surveytk`` command."""

from surveytk.cli.main import main

if __name__ == "__main__":  # pragma: no cover
    main()
