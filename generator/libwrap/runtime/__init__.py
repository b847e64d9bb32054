"""Code that runs in the wheels libwrap builds and repairs, not in libwrap itself.

Each module here is copied into a wheel when a provider is built (``provider.py`` becomes
``<provider>/_libwrap.py``) or its text is written into a consumer by ``libwrap repair``
(``distributor_init.py``, ``shim.py``). So they import only the standard library and run on every
Python a wheel may meet (3.9+), and they are linted, type-checked and unit-tested here, as code.
"""
