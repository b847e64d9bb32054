/* Links against {{ cookiecutter.name }}'s library with only the flags the package reports. */
#include <stdio.h>
{% if cookiecutter.init_symbol %}
extern {% if cookiecutter.init_returns == "str" %}const char *{% elif cookiecutter.init_returns == "int" %}int {% else %}void {% endif %}{{ cookiecutter.init_symbol }}(void);
{% endif %}
int main(void) {
{%- if cookiecutter.init_symbol %}
    {{ cookiecutter.init_symbol }}();
{%- endif %}
    puts("ok");
    return 0;
}
