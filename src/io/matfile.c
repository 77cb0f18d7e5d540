/* matfile.c: reading a MOSFLM A matrix file (see matfile.h). */
#include <stdio.h>
#include "io/matfile.h"

int nbcl_matfile_read(const char *path, double m[9], nbcl_log *log, nbcl_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return nbcl_err_code(err, NBCL_E_FILE, "-mat %s: cannot open the file", path);
    nbcl_logf(log, "reading %s\n", path);
    for (int i = 0; i < 9; ++i)
        if (fscanf(f, "%lg", &m[i]) != 1) {
            fclose(f);
            return nbcl_err_code(err, NBCL_E_FILE, "-mat %s: expected 9 numbers (a 3x3 A matrix), "
                                 "found %d", path, i);
        }
    fclose(f);
    return 0;
}
