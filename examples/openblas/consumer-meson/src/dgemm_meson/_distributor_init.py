"""Loads shared libraries from provider packages."""

# Added by openblas.write_distributor_init(): load the libraries this package links to
# before its extension modules, from wherever openblas is installed.
try:
    import openblas  # noqa: F401
except ImportError as _exc:
    _msg = (
        f"{__name__.rpartition('.')[0]} needs the openblas library ({_exc}); "
        "install it with: pip install 'openblas>=0.3.29,<0.4'"
    )
    raise ImportError(_msg) from _exc
