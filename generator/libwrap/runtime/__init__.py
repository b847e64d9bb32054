"""Code that runs in the wheels libwrap builds and repairs, not in libwrap itself.

Each module here is copied into a wheel when a provider is built (``provider.py`` becomes
``<provider>/_libwrap.py``, ``preload.py`` ``<provider>/_preload.py``) or its text is written into a
consumer by ``libwrap repair`` and by a provider's ``write_distributor_init()`` (``distributor_init.py``,
``shim.py``; ``libwrap.consumer.preload`` copies them). So they import only the standard library and
run on every Python a wheel may meet (3.9+), and they are linted, type-checked and unit-tested here, as
code; libwrap itself runs ``preload.py`` too (``libwrap repair`` writes through it).
"""
