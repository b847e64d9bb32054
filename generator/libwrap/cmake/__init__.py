"""libwrap's CMake module (``include(Libwrap)``), found by scikit-build-core through libwrap's
``cmake.module`` entry point when libwrap is in a provider's ``build-system.requires``."""
