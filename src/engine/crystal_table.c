/* crystal_table.c: orientation records with anchors (see crystal_table.h).
 * The Miller index h = a.S of a member is h_anchor + (a - a_anchor).S. In a single-precision
 * run h_anchor is computed in wide arithmetic (double, or a float pair exact to ~48 bits)
 * and the correction is a plain float whose rounding error is that of its own, small, size;
 * the kernel checks the correction per lane and falls back to the member's own wide
 * indices where it is not small (nothing is assumed
 * of the detector or wavelength here). Groups are runs of consecutive orientations, so the
 * kernel's order of summation does not change; the anchor is the member nearest to all
 * others of its run (the medoid), which halves the corrections of a mosaic spread. Each
 * record also carries its reach, the longest row of its correction, which bounds the
 * correction by |S| reach so the kernel checks lanes only where that could pass one index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine/abi.h"
#include "engine/crystal_table.h"

/* how far orientation j is from orientation i: the largest difference of an axis relative
 * to that axis's length */
static double axis_distance(const double *i, const double *j)
{
    double d = 0.0;
    for (int r = 0; r < 3; ++r) {
        double len = 0.0, diff = 0.0;
        for (int k = 0; k < 3; ++k) {
            len += i[3 * r + k] * i[3 * r + k];
            diff += (i[3 * r + k] - j[3 * r + k]) * (i[3 * r + k] - j[3 * r + k]);
        }
        double rel = len > 0.0 ? sqrt(diff / len) : (diff > 0.0 ? INFINITY : 0.0);
        if (rel > d) d = rel;
    }
    return d;
}

/* the end (exclusive) of the run starting at `first`: the orientations that follow it within
 * twice the reach of it (so the run's medoid is within about the reach of each member) */
static int run_end(const double *axes, int first, int n)
{
    int end = first + 1;
    while (end < n && end - first < NBCL_ANCHOR_GROUP_MAX &&
           axis_distance(axes + 9 * (size_t)first, axes + 9 * (size_t)end) <= 2.0 * NBCL_ANCHOR_REACH)
        ++end;
    return end;
}

/* the member of [first, end) whose farthest other member is nearest */
static int medoid(const double *axes, int first, int end)
{
    int best = first;
    double best_far = INFINITY;
    for (int i = first; i < end; ++i) {
        double far = 0.0;
        for (int j = first; j < end && far < best_far; ++j) {
            double d = axis_distance(axes + 9 * (size_t)i, axes + 9 * (size_t)j);
            if (d > far) far = d;
        }
        if (far < best_far) {
            best_far = far;
            best = i;
        }
    }
    return best;
}

double *nbcl_crystal_table(const double *axes, int n)
{
    double *t = malloc(sizeof(double) * NBCL_CRYSTAL_REALS * (size_t)(n > 0 ? n : 1));
    if (!t) return NULL;
    int group = 0;
    for (int first = 0, end; first < n; first = end, ++group) {
        end = run_end(axes, first, n);
        const double *anchor = axes + 9 * (size_t)medoid(axes, first, end);
        /* only a change from one record to the next matters, and a float holds it exactly;
         * a group of one is numbered below zero, so the kernel takes its own indices */
        double number = group % (1 << 20);
        if (end - first == 1) number = -1.0 - number;
        for (int o = first; o < end; ++o) {
            double *rec = t + NBCL_CRYSTAL_REALS * (size_t)o;
            const double *own = axes + 9 * (size_t)o;
            double reach = 0.0;
            for (int r = 0; r < 3; ++r) {
                double row = 0.0;
                for (int k = 3 * r; k < 3 * r + 3; ++k) {
                    rec[NBCL_CR_AXES + k] = own[k];
                    rec[NBCL_CR_ANCHOR + k] = anchor[k];
                    rec[NBCL_CR_DELTA + k] = own[k] - anchor[k];
                    row += rec[NBCL_CR_DELTA + k] * rec[NBCL_CR_DELTA + k];
                }
                reach = fmax(reach, sqrt(row));
            }
            rec[NBCL_CR_GROUP] = number;
            rec[NBCL_CR_REACH] = reach;
        }
    }
    return t;
}
