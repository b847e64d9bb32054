/* Links against openblas's library with only the flags the package reports. */
#include <stdio.h>

extern const char *openblas_get_config(void);

int main(void) {
    openblas_get_config();
    puts("ok");
    return 0;
}
