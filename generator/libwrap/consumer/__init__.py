"""The consumer side of libwrap, the machinery under ``libwrap repair`` and ``libwrap check`` (the commands
themselves are ``libwrap.commands``): ``analysis`` (what a wheel needs and who provides it), ``imports``
(whether it loads its providers first, read from its code), ``preload`` (the one writer of the files
that load them), ``repair`` and ``check``."""
