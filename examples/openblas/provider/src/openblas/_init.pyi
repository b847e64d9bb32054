init_result: str | None
library_path: str | None
library_versioned: bool | None
