/* fuzz_args.c: the command-line parser on arbitrary argument lists. The input is split
 * into arguments at NUL bytes, newlines and spaces (at most 64), so a seed is a readable
 * command line; flags naming SMV headers (-img, -mask) fail without a header reader. */
#include "fuzz_file.h"
#include "model/args.h"
#include "model/config.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[MAX_ARGS + 2] = {"nanobragg-cl"};
    int argc = 1;
    for (size_t i = 0; i <= size && argc <= MAX_ARGS;) {
        while (i < size && (text[i] == '\0' || text[i] == ' ' || text[i] == '\n')) text[i++] = '\0';
        if (i >= size) break;
        argv[argc++] = text + i;
        while (i < size && text[i] != '\0' && text[i] != ' ' && text[i] != '\n') ++i;
    }
    argv[argc] = NULL;
    nbcl_config cfg;
    enum nbcl_cli_action action;
    nbcl_err err = {0};
    nbcl_cli_parse(argc, argv, &cfg, &action, NULL, &err);
    free(text);
    return 0;
}
