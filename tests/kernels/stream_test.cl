/* stream_test.cl: a per-pixel function of the absolute fast/slow coordinates, so that any
 * tiling of the detector must reproduce the same image bit for bit. Plane p adds p*1000. */
__kernel void stream_test(__global float *out, int x0, int y0, int w, int h, int nplanes)
{
    size_t i = get_global_id(0);
    if (i >= (size_t)w * (size_t)h)
        return;
    int x = x0 + (int)(i % (size_t)w), y = y0 + (int)(i / (size_t)w);
    float v = sin((float)x * 0.01f) * (float)y + (float)x;
    for (int p = 0; p < nplanes; p++)
        out[(size_t)p * w * h + i] = v + 1000.0f * (float)p;
}
