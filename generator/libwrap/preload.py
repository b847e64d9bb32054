"""Moved to ``libwrap.consumer.preload``; the provider build imports ``writer_module`` from here until it switches."""

from .consumer.preload import writer_module

__all__ = ["writer_module"]
