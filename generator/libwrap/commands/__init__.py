"""The ``libwrap`` subcommands, one module each, as auditwheel's ``main_*.py`` and delocate's ``cmd/``:
``HELP``, ``configure_parser(parser)`` and ``execute(args) -> int``, which parses nothing more, calls
the machinery (``libwrap.consumer`` for ``repair`` and ``check``, ``libwrap.doctor`` for ``doctor``) and prints what it reports. Options
that several commands take are declared once, in ``options``; ``libwrap.cli`` builds the parser."""
