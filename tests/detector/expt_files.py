"""expt_files.py: DIALS experiment lists (.expt JSON) for the -detector tests, written by hand
(no dxtbx needed): the panels are given in dxtbx's frame (beam along -z) and millimetres,
without a hierarchy unless one is asked for."""
import json
import math


def panel(name, origin, fast=(1.0, 0.0, 0.0), slow=(0.0, -1.0, 0.0), size=(64, 48), pixel=0.1,
          thickness=0.0, mu=0.0):
    return {"name": name, "type": "SENSOR_PAD", "fast_axis": list(fast), "slow_axis": list(slow),
            "origin": list(origin), "raw_image_offset": [0, 0], "image_size": list(size),
            "pixel_size": [pixel, pixel], "trusted_range": [-1.0, 65535.0], "thickness": thickness,
            "material": "Si", "mu": mu, "identifier": "", "mask": [], "gain": 1.0, "pedestal": 0.0,
            "px_mm_strategy": {"type": "SimplePxMmStrategy"}}


def experiment_list(panels, wavelength=None, direction=(0.0, 0.0, 1.0), hierarchy=None):
    beams = []
    if wavelength is not None:
        beams.append({"direction": list(direction), "wavelength": wavelength, "divergence": 0.0,
                      "sigma_divergence": 0.0, "polarization_normal": [0.0, 1.0, 0.0],
                      "polarization_fraction": 0.999, "flux": 0.0, "transmission": 1.0})
    det = {"panels": panels}
    if hierarchy is not None:
        det["hierarchy"] = hierarchy
    return {"__id__": "ExperimentList",
            "experiment": [{"__id__": "Experiment", "identifier": "", "beam": 0, "detector": 0}],
            "imageset": [], "beam": beams, "detector": [det], "goniometer": [], "scan": [],
            "crystal": [], "profile": [], "scaling_model": []}


def write(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def scaled_to(target, factor):
    """a double d with d * factor == target exactly in IEEE arithmetic (factor 1000 or 1/1000
    as the program applies it), so that a file value lands on the same bits as a flag"""
    d = target / factor if factor != 0.001 else target * 1000.0
    for _ in range(8):
        got = d * factor if factor != 0.001 else d / 1000.0
        if got == target:
            return d
        d = math.nextafter(d, math.inf if got < target else -math.inf)
    raise ValueError("no double maps onto %r" % target)


def mm_for(metres):
    """the mm value whose division by 1000 gives exactly `metres`"""
    return scaled_to(metres, 0.001)


def rotate(v, axis, deg):
    """v turned by deg about the unit vector axis (Rodrigues)"""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    d = sum(a * b for a, b in zip(axis, v))
    x = [axis[1] * v[2] - axis[2] * v[1], axis[2] * v[0] - axis[0] * v[2], axis[0] * v[1] - axis[1] * v[0]]
    return [v[k] * c + x[k] * s + axis[k] * d * (1 - c) for k in range(3)]


def tiled(n_fast, n_slow, size, pixel=0.1, gap=2.0, distance=100.0, tilt=None):
    """n_fast x n_slow panels of size (fast, slow) pixels, gap mm apart, centred on the beam at
    distance mm (dxtbx frame: fast +x, slow -y, detector at z = -distance); tilt (index, deg)
    turns one panel about its own slow axis through its centre"""
    w, h = size[0] * pixel, size[1] * pixel
    total_w, total_h = n_fast * w + (n_fast - 1) * gap, n_slow * h + (n_slow - 1) * gap
    panels = []
    for j in range(n_slow):
        for i in range(n_fast):
            x0 = -total_w / 2 + i * (w + gap) + 0.37   # the beam off any pixel edge
            y0 = total_h / 2 - j * (h + gap) - 0.61
            fast, slow = [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]
            origin = [x0, y0, -distance]
            if tilt and tilt[0] == len(panels):
                centre = [x0 + w / 2, y0 - h / 2, -distance]
                fast = rotate(fast, slow, tilt[1])
                origin = [centre[k] - fast[k] * w / 2 - slow[k] * h / 2 for k in range(3)]
            panels.append(panel("panel%d" % len(panels), origin, fast=fast, slow=slow, size=size,
                                pixel=pixel, thickness=0.32, mu=3.96))
    return panels
