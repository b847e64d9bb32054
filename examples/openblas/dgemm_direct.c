/* The baseline for the throughput figure: cblas_dgemm called from C, linked straight to the library.
 * usage: dgemm_direct N ROUNDS CALLS -> prints the best time of ROUNDS rounds of CALLS calls (s). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000, rounds = argc > 2 ? atoi(argv[2]) : 7, calls = argc > 3 ? atoi(argv[3]) : 5;
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n), *c = malloc(sizeof(double) * n * n);
    srand(1);
    for (int i = 0; i < n * n; i++) {
        a[i] = (double)rand() / RAND_MAX - 0.5;
        b[i] = (double)rand() / RAND_MAX - 0.5;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n); /* warm-up */
    double best = 1e9;
    for (int r = 0; r < rounds; r++) {
        double t = now();
        for (int k = 0; k < calls; k++) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
        }
        t = now() - t;
        best = t < best ? t : best;
    }
    printf("%.6f\n", best);
    free(a);
    free(b);
    free(c);
    return 0;
}
