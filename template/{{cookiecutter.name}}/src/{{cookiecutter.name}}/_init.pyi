init_result: {% if cookiecutter.init_returns == "str" %}str | None{% elif cookiecutter.init_returns == "int" %}int{% else %}None{% endif %}
library_path: str | None
library_versioned: bool | None
