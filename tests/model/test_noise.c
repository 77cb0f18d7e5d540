/* test_noise.c: the noise image must equal nanoBragg.c's byte for byte for the same seed:
 * on the golden io_noise_* cases (the reference's own float image in, its noise.img out) and
 * on a small synthetic image whose expected counts came from the reference's noise loop and
 * poidev compiled with gcc -O2. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "model/noise.h"

/* 4x3 image, roi x 1..3, y 0..2 (column 0 outside), seed -12345, adc 40: the reference's
 * noise loop gave these counts, photon sum and overload count. */
Test(noise, synthetic_image_matches_reference)
{
    const float img[12] = {0.0f, 0.3f, 2.5f, 11.99f, 12.0f, 37.2f,
                           500.0f, 1.0e5f, 2.0e6f, 7.0e4f, 65600.0f, 1.0e7f};
    const unsigned short want[12] = {0, 41, 45, 52, 0, 73, 545, 65535, 0, 65535, 65535, 65535};
    const int roi[4] = {1, 3, 0, 2};
    unsigned short out[12];
    for (int i = 0; i < 12; i++) out[i] = 7;   /* must be overwritten, including outside roi */
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long seed = -12345;
    double photons = -1;
    int overloads = -1;
    cr_assert_eq(nbcl_noise_image(img, 4, 3, roi, 40.0, &seed, &rng, out, &photons, &overloads), 0);
    for (int i = 0; i < 12; i++) cr_expect_eq(out[i], want[i], "pixel %d: %u", i, out[i]);
    cr_expect_eq(photons, 10242778.0, "photons %.17g", photons);
    cr_expect_eq(overloads, 4);
}

Test(noise, same_seed_same_image_other_seed_differs)
{
    float img[64];
    for (int i = 0; i < 64; i++) img[i] = 5.0f + i;
    const int roi[4] = {0, 7, 0, 7};
    unsigned short a[64], b[64], c[64];
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    long s1 = -99, s2 = -99, s3 = -100;
    nbcl_noise_image(img, 8, 8, roi, 0.0, &s1, &rng, a, NULL, NULL);
    nbcl_noise_image(img, 8, 8, roi, 0.0, &s2, &rng, b, NULL, NULL);
    nbcl_noise_image(img, 8, 8, roi, 0.0, &s3, &rng, c, NULL, NULL);
    cr_expect_arr_eq(a, b, sizeof a);
    cr_expect_neq(memcmp(a, c, sizeof a), 0);
}

/* Read a gzip file of golden/cases/<id>/<name> whole; returns its length. */
static size_t read_golden_gz(const char *id, const char *name, unsigned char **data)
{
    const char *dir = getenv("NBCL_GOLDEN_DIR");
    cr_assert(dir != NULL, "NBCL_GOLDEN_DIR is not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/cases/%s/%s", dir, id, name);
    gzFile f = gzopen(path, "rb");
    cr_assert(f != NULL, "cannot open %s", path);
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    int n;
    while ((n = gzread(f, buf + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)n;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    gzclose(f);
    *data = buf;
    return len;
}

/* Run the noise on the golden float image and compare with the golden noise.img data, the
 * photon count and overloads the reference printed. */
static void expect_golden_noise(const char *id, long seed, double want_photons, int want_over)
{
    enum { N = 128 };
    unsigned char *fbytes, *nbytes;
    cr_assert_eq(read_golden_gz(id, "float.bin.gz", &fbytes), (size_t)N * N * 4);
    cr_assert_eq(read_golden_gz(id, "noise.img.gz", &nbytes), 512 + (size_t)N * N * 2);
    float *img = malloc(sizeof(float) * N * N);
    memcpy(img, fbytes, sizeof(float) * N * N);   /* little-endian host, as the files */
    unsigned short *want = malloc(sizeof(unsigned short) * N * N);
    memcpy(want, nbytes + 512, sizeof(unsigned short) * N * N);
    unsigned short *got = malloc(sizeof(unsigned short) * N * N);
    const int roi[4] = {0, N, 0, N};   /* the reference's default roi: 0..fpixels inclusive */
    nbcl_rng rng;
    nbcl_rng_init(&rng);
    double photons;
    int over;
    cr_assert_eq(nbcl_noise_image(img, N, N, roi, 40.0, &seed, &rng, got, &photons, &over), 0);
    int diff = 0;
    for (int i = 0; i < N * N; i++) diff += got[i] != want[i];
    cr_expect_eq(diff, 0, "%s: %d pixels differ from the reference noise image", id, diff);
    char text[64];
    snprintf(text, sizeof text, "%.0f", photons);
    char wtext[64];
    snprintf(wtext, sizeof wtext, "%.0f", want_photons);
    cr_expect_str_eq(text, wtext, "%s photons", id);
    cr_expect_eq(over, want_over, "%s overloads %d", id, over);
    free(img);
    free(want);
    free(got);
    free(fbytes);
    free(nbytes);
}

Test(noise, golden_io_noise_seed)
{
    expect_golden_noise("io_noise_seed", -12345, 36339, 0);
}

Test(noise, golden_io_noise_big_gaussian_and_overloads)
{
    expect_golden_noise("io_noise_big", -777, 29155222, 109);
}
