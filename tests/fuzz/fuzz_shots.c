/* fuzz_shots.c: the shot-list reader (-shots) on arbitrary bytes, each shot's words then
 * applied as flags onto a default configuration, as a series does. */
#include "fuzz_file.h"
#include "io/shotfile.h"
#include "model/args.h"
#include "model/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    nbcl_shot_line *lines = NULL;
    int n = 0;
    nbcl_err err = {0};
    if (nbcl_shotfile_read(path, &lines, &n, &err) != 0) return 0;
    for (int i = 0; i < n && i < 64; ++i) {
        nbcl_config cfg;
        nbcl_config_defaults(&cfg);
        char *argv[NBCL_SHOT_MAX_WORDS + 2] = {"shot"};
        for (int w = 0; w < lines[i].nwords; ++w) argv[w + 1] = lines[i].words[w];
        argv[lines[i].nwords + 1] = NULL;
        nbcl_err e = {0};
        nbcl_cli_apply(lines[i].nwords + 1, argv, &cfg, &e);
    }
    nbcl_shotfile_free(lines, n);
    return 0;
}
