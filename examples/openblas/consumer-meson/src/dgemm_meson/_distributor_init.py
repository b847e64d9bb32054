"""Loads shared libraries from provider packages."""

# Added by openblas.write_distributor_init(): load the libraries this package links to
# before its extension modules, from wherever openblas is installed.
try:
    import openblas
except ModuleNotFoundError as _exc:
    if _exc.name != "openblas":
        raise  # openblas is there but failed: its own message says why
    _msg = (
        f"{__name__.rpartition('.')[0]} needs the openblas library ({_exc}); "
        "install it with: pip install 'openblas>=0.3.29,<0.4'"
    )
    raise ImportError(_msg) from _exc
# Built against openblas 0.3.29: an older copy may lack symbols, a newer major its ABI.
if not (0, 3, 29) <= getattr(openblas, "version_info", (0,)) < (0, 4):
    _msg = (
        f"{__name__.rpartition('.')[0]} was built for openblas>=0.3.29,<0.4, but openblas "
        f"{openblas.__version__} is installed; install a matching one with: "
        "pip install 'openblas>=0.3.29,<0.4'"
    )
    raise ImportError(_msg)
# Name openblas in the ImportError should an extension here need a symbol its library lacks.
getattr(openblas, "explain_missing_symbols", lambda *_: None)(__name__.rpartition(".")[0], "openblas>=0.3.29,<0.4")
