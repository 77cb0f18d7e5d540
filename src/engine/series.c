/* series.c: the images an experiment asks for. A rotation sweep (-nimages N): image i starts
 * at -phi + i*-osc, in the degrees the user typed so that an angle exact in binary gives the
 * bits of a single run with that -phi; its noise seed is -seed + i. A shot list (-shots
 * FILE): each line's flags override the base command line for that image, restricted to
 * what can change per image (orientation, crystal size, fluence, seeds); a malformed line
 * or any other flag is an error naming the line, found before any image is simulated. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/constants.h"
#include "engine/experiment.h"
#include "engine/series.h"
#include "io/matfile.h"
#include "io/shotfile.h"
#include "model/args.h"

/* the flags a shot may give, with the values each takes (-misset: 3 or "random") */
static const struct { const char *flag; int values; } SHOT_FLAGS[] = {
    {"-misset", 3}, {"-misset_seed", 1}, {"-mat", 1}, {"-phi", 1}, {"-osc", 1},
    {"-mosaic_seed", 1}, {"-N", 1}, {"-Na", 1}, {"-Nb", 1}, {"-Nc", 1}, {"-fluence", 1},
    {"-flux", 1}, {"-exposure", 1}, {"-seed", 1}, {"-lambda", 1},
};
#define NSHOT_FLAGS ((int)(sizeof SHOT_FLAGS / sizeof SHOT_FLAGS[0]))
#define SHOT_FLAG_LIST "-misset (angles or random), -misset_seed, -mat, -phi, -osc, -mosaic_seed, " \
                       "-N, -Na, -Nb, -Nc, -lambda, -fluence, -flux, -exposure, -seed"

static int shot_flag(const char *word)
{
    for (int i = 0; i < NSHOT_FLAGS; ++i)
        if (strcmp(word, SHOT_FLAGS[i].flag) == 0) return i;
    return -1;
}

/* which flags the line gives (bit per SHOT_FLAGS entry), checking every word */
static int check_line(const nbcl_shot_line *l, const char *path, unsigned *given, int *random,
                      nbcl_err *err)
{
    *given = 0;
    *random = 0;
    for (int w = 0; w < l->nwords;) {
        int k = shot_flag(l->words[w]);
        if (k < 0)
            return nbcl_err_code(err, NBCL_E_INVALID, "-shots %s line %ld: %s cannot be set per image "
                                 "(a shot may give %s)", path, l->lineno, l->words[w], SHOT_FLAG_LIST);
        int n = SHOT_FLAGS[k].values;
        if (k == 0 && w + 1 < l->nwords && strstr(l->words[w + 1], "rand")) {
            n = 1;
            *random = 1;
        }
        if (w + n >= l->nwords)   /* the flag's n values must follow it on the line */
            return nbcl_err_code(err, NBCL_E_INVALID, "-shots %s line %ld: %s needs %d value%s", path,
                                 l->lineno, l->words[w], n, n == 1 ? "" : "s");
        *given |= 1u << k;
        w += 1 + n;
    }
    return 0;
}

static int given(unsigned bits, const char *flag)
{
    int k = shot_flag(flag);
    return k >= 0 && (bits & (1u << k));
}

/* The shot's config: the base command line with the line's flags applied on top. */
static int shot_config(const nbcl_experiment *exp, const nbcl_shot_line *l, const char *path,
                       nbcl_config *c, nbcl_err *err)
{
    char *argv[NBCL_SHOT_MAX_WORDS + 1];
    argv[0] = "shot";
    for (int w = 0; w < l->nwords; ++w) argv[w + 1] = l->words[w];
    *c = exp->cfg;
    nbcl_err e = {0};
    if (nbcl_cli_apply(l->nwords + 1, argv, c, &e))
        return nbcl_err_code(err, NBCL_E_INVALID, "-shots %s line %ld: %s", path, l->lineno, e.msg);
    return 0;
}

static int shot_params(const nbcl_experiment *exp, const nbcl_shot_line *l, const char *path,
                       int index, nbcl_image_params *p, long *seed, nbcl_err *err)
{
    unsigned bits;
    int random;
    nbcl_config c;
    if (check_line(l, path, &bits, &random, err) || shot_config(exp, l, path, &c, err)) return -1;
    (void)random;
    nbcl_image_params_init(p);
    if (given(bits, "-phi")) p->phi_deg = c.phi_deg;
    if (given(bits, "-osc")) p->osc_deg = c.osc_deg;
    /* the misset as the parser left it (so nanoBragg's quirks match a single run's:
     * "-misset_seed N A B" also sets angles) */
    if ((given(bits, "-misset") || given(bits, "-misset_seed")) && c.misset_mode == -1) {
        p->random_misset = 1;
        /* -misset_seed of the line, else the run's misset seed plus the image index */
        p->misset_seed = given(bits, "-misset_seed") ? -c.misset_seed : -exp->cfg.misset_seed + index;
    } else if ((given(bits, "-misset") || given(bits, "-misset_seed")) && c.misset_mode == 1) {
        p->set_misset = 1;
        for (int k = 0; k < 3; ++k) p->misset_deg[k] = c.misset_deg[k];
    }
    if (given(bits, "-mat")) {
        nbcl_err e = {0};
        if (nbcl_matfile_read(c.matfile, p->amat, NULL, &e))
            return nbcl_err_code(err, NBCL_E_FILE, "-shots %s line %ld: %s", path, l->lineno, e.msg);
        p->set_amat = 1;
    }
    if (given(bits, "-mosaic_seed")) {
        p->set_mosaic_seed = 1;
        p->mosaic_seed = -c.mosaic_seed;
    }
    if (given(bits, "-N") || given(bits, "-Na") || given(bits, "-Nb") || given(bits, "-Nc")) {
        p->Na = c.Na;
        p->Nb = c.Nb;
        p->Nc = c.Nc;
    }
    if (given(bits, "-lambda")) p->lambda_A = c.lambda_A;
    if (given(bits, "-fluence") || given(bits, "-flux") || given(bits, "-exposure"))
        p->fluence = nbcl_fluence_of(c.fluence, c.flux, c.exposure, c.beamsize);
    *seed = given(bits, "-seed") ? -c.seed : -exp->cfg.seed + index;
    return 0;
}

/* Sampling is set up once for the command line: say so where a shot could have changed an
 * automatic choice (oversampling follows the crystal size, phi steps the oscillation). */
static void warn_auto_sampling(nbcl_experiment *exp)
{
    int size = 0, osc = 0;
    for (int i = 0; i < exp->nseries; ++i) {
        const nbcl_image_params *p = &exp->series[i];
        size |= p->Na > 0 || p->Nb > 0 || p->Nc > 0 || p->set_amat || p->lambda_A > 0;
        osc |= !isnan(p->osc_deg);
    }
    if (size && exp->cfg.oversample <= 0)
        nbcl_logf(&exp->log, "WARNING: -shots: every shot keeps the %d-fold oversampling chosen for the "
                  "command line's crystal and wavelength; give -oversample to choose it yourself\n",
                  exp->sim.oversample);
    if (osc && exp->cfg.phisteps <= 0)
        nbcl_logf(&exp->log, "WARNING: -shots: every shot keeps the command line's %d phi step%s; give "
                  "-phisteps to choose them yourself\n", exp->sim.phisteps, exp->sim.phisteps == 1 ? "" : "s");
}

static int read_shots(nbcl_experiment *exp, nbcl_err *err)
{
    const char *path = exp->cfg.shotsfile;
    nbcl_shot_line *lines = NULL;
    int n = 0;
    if (nbcl_shotfile_read(path, &lines, &n, err)) return -1;
    exp->series = calloc((size_t)n, sizeof *exp->series);
    exp->series_seeds = calloc((size_t)n, sizeof *exp->series_seeds);
    int rc = 0;
    if (!exp->series || !exp->series_seeds)
        rc = nbcl_err_code(err, NBCL_E_NOMEM, "-shots %s: out of memory", path);
    for (int i = 0; !rc && i < n; ++i)
        rc = shot_params(exp, &lines[i], path, i, &exp->series[i], &exp->series_seeds[i], err);
    nbcl_shotfile_free(lines, n);
    if (!rc) warn_auto_sampling(exp);
    exp->nseries = rc ? 0 : n;
    return rc;
}

/* degrees as the user gave them, else as resolved */
static double start_deg(const nbcl_experiment *exp)
{
    return isnan(exp->cfg.phi_deg) ? exp->sim.phi0 * RTD : exp->cfg.phi_deg;
}

static double osc_deg(const nbcl_experiment *exp)
{
    return isnan(exp->cfg.osc_deg) ? exp->sim.osc * RTD : exp->cfg.osc_deg;
}

int nbcl_series_resolve(nbcl_experiment *exp, nbcl_err *err)
{
    const nbcl_config *c = &exp->cfg;
    if (c->nimages > 0 && c->shotsfile)
        return nbcl_err_code(err, NBCL_E_INVALID, "-nimages and -shots cannot be combined");
    if (c->shotsfile) return read_shots(exp, err);
    int n = c->nimages > 0 ? c->nimages : 1;
    if (n > NBCL_SHOT_MAX_LINES)
        return nbcl_err_code(err, NBCL_E_INVALID, "-nimages %d: more than %d images", n, NBCL_SHOT_MAX_LINES);
    exp->series = calloc((size_t)n, sizeof *exp->series);
    exp->series_seeds = calloc((size_t)n, sizeof *exp->series_seeds);
    if (!exp->series || !exp->series_seeds)
        return nbcl_err_code(err, NBCL_E_NOMEM, "-nimages %d: out of memory", n);
    for (int i = 0; i < n; ++i) {
        nbcl_image_params_init(&exp->series[i]);
        if (c->nimages > 0) exp->series[i].phi_deg = start_deg(exp) + i * osc_deg(exp);
        exp->series_seeds[i] = -c->seed + i;
    }
    exp->nseries = n;
    return 0;
}

void nbcl_series_free(nbcl_experiment *exp)
{
    free(exp->series);
    free(exp->series_seeds);
    exp->series = NULL;
    exp->series_seeds = NULL;
    exp->nseries = 0;
}

nbcl_status nbcl_experiment_series_length(const nbcl_experiment *exp, int *count)
{
    if (!exp || !count) return nbcl_api_invalid("nbcl_experiment_series_length: NULL argument");
    if (!exp->resolved) {
        return nbcl_api_state("nbcl_experiment_series_length: resolve the experiment first");
    }
    *count = exp->nseries;
    return NBCL_OK;
}

nbcl_status nbcl_experiment_series_image(const nbcl_experiment *exp, int i, nbcl_image_params *p,
                                         long *seed)
{
    if (!exp || !p) return nbcl_api_invalid("nbcl_experiment_series_image: NULL argument");
    if (!exp->resolved) return nbcl_api_state("nbcl_experiment_series_image: resolve the experiment first");
    nbcl_err err = {0};
    if (i < 0 || i >= exp->nseries) {
        nbcl_err_code(&err, NBCL_E_INVALID, "image %d of a series of %d", i, exp->nseries);
        return nbcl_api_fail(&err, NBCL_E_INVALID);
    }
    *p = exp->series[i];
    if (seed) *seed = exp->series_seeds[i];
    return NBCL_OK;
}
