/* names.c: which files nanobragg-cl writes for each image, and their names. A run of '#' in
 * a name is replaced by the image number (1-based, zero-padded to the run's width). A
 * single image writes nanoBragg's files under their default names; a series (more than one
 * image) writes only the outputs named on the command line, each of which must hold '#'. */
#include <stdio.h>
#include <string.h>
#include "app/app.h"

/* the last run of '#' in the name, or NULL */
static const char *hash_run(const char *name, size_t *width)
{
    const char *end = NULL;
    for (const char *p = name; *p; ++p)
        if (*p == '#') end = p;
    if (!end) return NULL;
    const char *start = end;
    while (start > name && start[-1] == '#') --start;
    *width = (size_t)(end - start) + 1;
    return start;
}

int nbcl_app_numbered(const char *pattern, int number, char *out, size_t n)
{
    size_t width = 0;
    const char *run = hash_run(pattern, &width);
    int len = run ? snprintf(out, n, "%.*s%0*d%s", (int)(run - pattern), pattern, (int)width, number,
                             run + width)
                  : snprintf(out, n, "%s", pattern);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

static int needs_hash(const char *flag, const char *name)
{
    size_t width;
    if (!name || hash_run(name, &width)) return 0;
    fflush(stdout);
    fprintf(stderr, "nanobragg-cl: error: %s %s: a series needs '#' in the name for the image "
            "number (e.g. image_###.cbf)\n", flag, name);
    return 1;
}

int nbcl_app_plan_outputs(const nbcl_outputs *o, int nimages, nbcl_app_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->nimages = nimages;
    plan->series = nimages > 1;
    if (!plan->series && !o->detectorfile) {
        plan->floatfile = o->floatfile;
        plan->intfile = o->intfile;
        plan->noisefile = o->noisefile;
        plan->pgmfile = o->pgmfile;
    } else {
        plan->floatfile = o->floatfile_given ? o->floatfile : NULL;
        plan->intfile = o->intfile_given ? o->intfile : NULL;
        plan->noisefile = o->noisefile_given ? o->noisefile : NULL;
        plan->pgmfile = o->pgmfile_given ? o->pgmfile : NULL;
    }
    plan->pngfile = o->pngfile;
    plan->noisepngfile = o->noisepngfile;
    plan->cbffile = o->cbffile;
    plan->nexusfile = o->nexusfile;
    plan->noise = o->noisefile != NULL;
    if (plan->series &&
        (needs_hash("-floatfile", plan->floatfile) || needs_hash("-intfile", plan->intfile) ||
         needs_hash("-noisefile", plan->noisefile) || needs_hash("-pgmfile", plan->pgmfile) ||
         needs_hash("-pngfile", plan->pngfile) || needs_hash("-cbffile", plan->cbffile) ||
         needs_hash("-noisepngfile", plan->noisepngfile)))
        return 1;
    if (plan->series && !plan->floatfile && !plan->intfile && !plan->noisefile && !plan->pgmfile &&
        !plan->pngfile && !plan->cbffile && !plan->nexusfile && !plan->noisepngfile) {
        fflush(stdout);
        fprintf(stderr, "nanobragg-cl: error: a series of %d images with no output: name at least one "
                "with '#' (-floatfile, -intfile, -noisefile, -cbffile, ...) or give -nexusfile\n", nimages);
        return 1;
    }
    return 0;
}
