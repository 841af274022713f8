// OpenBLAS's C interface (Debian: libopenblas-dev). Only FinchTensor imports this module.
#include <cblas.h>

// OpenBLAS extension: FinchTensor caps BLAS threads so they do not oversubscribe its own parallel-for.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
