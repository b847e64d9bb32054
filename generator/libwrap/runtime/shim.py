"""The end of the module ``libwrap repair`` puts in place of a top-level extension module.

A top-level extension module (cffi's ``_cffi_backend``) has no package whose ``__init__.py`` could
import its providers first. repair moves its file aside, under a name that matches no extension suffix
(``_cffi_backend.libwrap.cpython-312-x86_64-linux-gnu.so``, ``libwrap.consumer.analysis.shimmed_name``),
and writes a Python module of the extension's name (``libwrap.consumer.preload.render_shim``): the
helpers and calls of ``distributor_init.py``, then this file's text from the marker line on with
``_EXTENSION`` set to the moved file's name, then ``_load_extension()``, which loads that file as the
module being imported. Like the helpers, it runs in the consumer: Python 3.9 and later, the standard
library only, names with a leading underscore.
"""

# libwrap: the extension module itself, now that its libraries are loaded
_EXTENSION = ""


def _load_extension() -> None:
    import importlib.machinery
    import importlib.util
    import os
    import sys

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), _EXTENSION)
    loader = importlib.machinery.ExtensionFileLoader(__name__, path)
    spec = importlib.util.spec_from_file_location(__name__, path, loader=loader)
    assert spec is not None  # it is None only when no loader is given
    module = importlib.util.module_from_spec(spec)
    sys.modules[__name__] = module  # the import returns what sys.modules holds under the name
    loader.exec_module(module)
