// OpenBLAS's C interface (Debian: libopenblas-dev). Only FinchTensor imports this module.
#include <cblas.h>

// OpenBLAS extensions: FinchTensor caps BLAS threads so they do not oversubscribe its own parallel-for,
// and reads which kernel set ("core") OpenBLAS picked for this CPU.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
