"""The provider build: what a generated project runs while ``pip wheel`` builds it."""
