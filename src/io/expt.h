/* expt.h: the detector and beam of a DIALS experiment list (.expt, JSON), read with cJSON.
 * Only what a simulation needs is taken (every panel's size, pixel size, axes, origin,
 * thickness and attenuation; the beam's wavelength and direction); the hierarchy of panel
 * groups is composed so each panel comes back in global lab coordinates. A key the reader
 * does not know, a missing key or an impossible value is an error naming the key. */
#ifndef NBCL_IO_EXPT_H
#define NBCL_IO_EXPT_H

#include "base/dxtbx_detector.h"
#include "base/error.h"

int nbcl_expt_read(const char *path, nbcl_dxtbx_detector *out, nbcl_err *err);
void nbcl_expt_free(nbcl_dxtbx_detector *d);

#endif
