/* vector_clones.h: one build of a hot host loop per x86-64 vector width, chosen when the
 * library is loaded (GCC's and clang's function multi-versioning, resolved by the dynamic
 * loader). The host code is built for the x86-64 baseline (SSE2) so that the library runs on
 * any x86-64; the loops that convert whole images (SMV counts from floats) are 2-3x faster
 * with AVX2 or AVX-512 lanes. The arithmetic is the same in every clone: meson.build passes
 * -ffp-contract=off, so no clone fuses a product and a sum into one rounding. */
#ifndef NBCL_BASE_VECTOR_CLONES_H
#define NBCL_BASE_VECTOR_CLONES_H

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(NBCL_NO_CLONES)
#define NBCL_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NBCL_VECTOR_CLONES
#endif

#endif
