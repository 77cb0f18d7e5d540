"""Example for docs/python.md: simulate a still-rotation image of a small tetragonal crystal
with nanobragg_cl and show it with matplotlib, beside its noise image; with --save the
figure goes to a PNG instead (the docs' picture: docs/python_image.png).

    NBCL_LIBRARY=build/libnbcl.so.0 python3 python/examples/show_image.py [--save FILE]
"""
import argparse
import os

import numpy as np

import nanobragg_cl as nb

DOCS_PNG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                        "python_image.png")


def structure_factors(dmax=25, seed=7):
    """an invented structure-factor table: rows (h, k, l, F) with random amplitudes"""
    rng = np.random.default_rng(seed)
    h, k, l = np.mgrid[-dmax:dmax + 1, -dmax:dmax + 1, -dmax:dmax + 1].reshape(3, -1)
    F = rng.rayleigh(100.0, h.size)
    return np.column_stack([h, k, l, F])


def simulate():
    exp = nb.Experiment(cell=(79, 79, 38, 90, 90, 90), hkl=structure_factors(), N=20,
                        wavelength_A=1.0, distance_mm=120, detector_pixels=512, pixel_mm=0.1,
                        misset_deg=(10, 20, 30), phi_deg=0, osc_deg=0.5, phisteps=5,
                        mosaic_deg=0.2, mosaic_domains=4, oversample=1)
    with exp, nb.Engine(exp) as eng:
        image = eng.run()                              # float32 (slow, fast), photons
        noise = eng.noise(image, seed=1, adc=40)       # uint16 counts, as -noisefile
        st = eng.stats(image)
    return image, noise, st


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", nargs="?", const=DOCS_PNG, help="write the figure to this PNG")
    opts = ap.parse_args()
    import matplotlib
    if opts.save:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    image, noise, st = simulate()
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.2), dpi=80)
    axes[0].imshow(np.log10(image + 1e-3), cmap="gray_r", vmin=0, vmax=np.log10(st.max_I))
    axes[0].set_title("photons per pixel (log scale)")
    axes[1].imshow(noise, cmap="gray_r", vmin=40, vmax=np.percentile(noise, 99.5))
    axes[1].set_title("noise image (counts, seed 1)")
    for ax in axes:
        ax.set_xlabel("fast pixel")
    axes[0].set_ylabel("slow pixel")
    fig.suptitle("nanobragg_cl: 79 x 79 x 38 A cell, 0.5 deg rotation, max_I = %.3g" % st.max_I)
    fig.tight_layout()
    if opts.save:
        fig.savefig(opts.save)
        print("wrote", os.path.normpath(opts.save))
    else:
        plt.show()


if __name__ == "__main__":
    main()
