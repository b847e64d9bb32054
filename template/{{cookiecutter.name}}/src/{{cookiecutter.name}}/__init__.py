"""The {{ cookiecutter.name }} shared library, shipped once for every wheel that links to it.

``import {{ cookiecutter.name }}`` loads the library by its SONAME (through the ``_init`` extension,
RTLD_LOCAL, no ctypes); extensions loaded afterwards that need that SONAME reuse the same copy,
wherever they are installed. The helpers tell build scripts where the files are. They and the loading
come from libwrap's runtime module, which the build copies in as ``_libwrap.py``.
"""

from __future__ import annotations

try:
    from . import _libwrap
except ImportError as _missing:  # the build puts it there: without it the install is damaged
    _msg = f"{__name__} is damaged: {_missing}; reinstall it: pip install --force-reinstall {__name__}"
    raise ImportError(_msg, name=__name__) from _missing
from ._libwrap import (
{%- for name in cookiecutter.runtime_api %}
    {{ name }},
{%- endfor %}
)

__version__ = _libwrap.version()
#: The release numbers of ``__version__``, e.g. for build scripts that compare versions.
version_info = _libwrap.version_info()
_init = _libwrap.load()
{%- if cookiecutter.init_symbol %}
#: What the init symbol ({{ cookiecutter.init_symbol }}) returned when the library was loaded.
{{ cookiecutter.init_result_name }} = _init.init_result
{%- endif %}

__all__ = [
    "__version__",
{%- for name in cookiecutter.public_api %}
    "{{ name }}",
{%- endfor %}
]
