/* Links against {{ cookiecutter.name }}'s library with only the flags the package reports. */
#include <stdio.h>

extern {% if cookiecutter.init_returns == "str" %}const char *{% elif cookiecutter.init_returns == "int" %}int {% else %}void {% endif %}{{ cookiecutter.init_symbol }}(void);

int main(void) {
    {{ cookiecutter.init_symbol }}();
    puts("ok");
    return 0;
}
