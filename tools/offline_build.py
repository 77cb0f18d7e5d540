#!/usr/bin/env python3
"""offline_build.py: builds, with offline compilers, the exact kernel programs nanobragg-cl
would build on a GPU, and prints a markdown table of what each compiler said.

Why: CI has no GPU, yet the kernels must keep compiling for NVIDIA (nvptx64), AMD (amdgcn)
and SPIR-V consumers, and the GPU variants (one pixel per work-item) must not spill.

How: every golden case (golden/cases.tsv), in double and single precision, plus a few extra
option sets (-printout, the float pairs without fma()), is run through the program with
NBCL_VECTOR_WIDTH=1 (the GPU width), NBCL_FLOAT_PAIRS=1 (a GPU's single precision),
NBCL_DUMP_PROGRAM=DIR and NBCL_DUMP_PROGRAM_ONLY=1:
the library writes the program text and build options it would hand to clBuildProgram and
stops. Each distinct program is then built
  - for nvptx64-nvidia-nvcl with clang at -cl-std=CL1.2 and CL3.0, linked with libclc,
    lowered by llc to PTX for sm_80, and (where CUDA's ptxas is found) assembled for sm_80
    and sm_90 with -v: registers, stack frame and spill bytes of nbcl_lattice;
  - for amdgcn-amd-amdhsa gfx90a and gfx1100 with clang at CL1.2 and CL3.0 (libclc linked),
    with the VGPR count and scratch bytes clang reports for nbcl_lattice;
  - for spir64 at CL1.2 and CL3.0, translated by llvm-spirv and checked by spirv-val.
Exit status 1 when any build fails or a width-1 variant spills in ptxas (spill stores or
loads); amdgcn VGPR spills (to scratch memory, from clang's remarks) are printed as
warnings; 77 when a needed tool is missing (clang-15, llvm-link-15, opt-15,
llc-15, llvm-spirv-15, spirv-val, libclc-15). ptxas is optional.

Usage: offline_build.py --bin BUILD/nanobragg-cl --golden golden [--jobs N] [--md FILE]
       [--cases ID,ID...]
"""
import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

LLVM = '15'
TOOLS = ['clang-' + LLVM, 'llvm-link-' + LLVM, 'opt-' + LLVM, 'llc-' + LLVM,
         'llvm-spirv-' + LLVM, 'spirv-val']
CLC = '/usr/lib/clc'
STDS = ['CL1.2', 'CL3.0']
AMD = ['gfx90a', 'gfx1100']
SM = ['sm_80', 'sm_90']

# option sets no golden case switches on
EXTRA_CASES = [
    ('extra_printout', '-default_F 100 -cell 100 100 100 90 90 90 -lambda 6.2 -N 3 '
                       '-distance 100 -detpixels 8 -printout', {}),
    ('extra_no_fused_fma', '-default_F 100 -cell 100 100 100 90 90 90 -lambda 6.2 -N 3 '
                           '-distance 100 -detpixels 8 -detector_thick 100 -thicksteps 2',
     {'NBCL_UNFUSED_FMA': '1'}),
]


def find_ptxas():
    found = shutil.which('ptxas')
    if found:
        return found
    hits = sorted(glob.glob('/usr/local/cuda*/bin/ptxas'))
    return hits[-1] if hits else None


def read_cases(golden, only):
    cases = []
    with open(os.path.join(golden, 'cases.tsv'), encoding='utf-8') as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            cid, _cat, args = line.rstrip('\n').split('\t', 2)
            if not only or cid in only:
                cases.append((cid, args, {}))
    return cases


def dump_programs(binary, golden, cases, dump):
    """Runs every case in both precisions with the dump-only environment."""
    inputs = os.path.join(golden, 'inputs')
    with tempfile.TemporaryDirectory(prefix='nbcl-offline-') as work:
        for name in os.listdir(inputs):
            if name != 'Fdump.bin':
                shutil.copy(os.path.join(inputs, name), work)
        for cid, args, extra_env in cases:
            for precision in ('double', 'single'):
                # a GPU's program: width 1, and float pairs in single precision (a CPU
                # device with fp64 would keep the wide values in double)
                env = dict(os.environ, NBCL_VECTOR_WIDTH='1', NBCL_FLOAT_PAIRS='1',
                           NBCL_DUMP_PROGRAM=dump,
                           NBCL_DUMP_PROGRAM_ONLY='1', **extra_env)
                argv = [binary] + args.split() + ['-precision', precision, '-noprogress',
                                                  '-floatfile', 'f.bin', '-nonoise', '-nopgm']
                r = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
                if 'NBCL_DUMP_PROGRAM_ONLY' not in r.stderr + r.stdout:
                    sys.exit('%s (%s): no program dumped:\n%s' % (cid, precision, r.stderr[-2000:]))
    keys = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(dump, '*.cl')))
    return [(k, open(os.path.join(dump, k + '.options'), encoding='utf-8').read()) for k in keys]


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def clang(std, target, options, src, out, extra):
    return ['clang-' + LLVM, '-x', 'cl', '-cl-std=' + std, '-target', target,
            '-Xclang', '-finclude-default-header'] + extra + options.split() + [src, '-o', out]


def build_nvptx(key, options, src, tmp, ptxas):
    res = {}
    for std in STDS:
        bc, linked, ptx = ['%s/%s-%s.%s' % (tmp, key, std, e) for e in ('bc', 'l.bc', 'ptx')]
        steps = [clang(std, 'nvptx64-nvidia-nvcl', options, src, bc, ['-O2', '-emit-llvm', '-c']),
                 ['llvm-link-' + LLVM, '--only-needed', bc, CLC + '/nvptx64--nvidiacl.bc', '-o', linked],
                 ['opt-' + LLVM, '-O2', linked, '-o', linked],
                 ['llc-' + LLVM, '-mcpu=sm_80', linked, '-o', ptx]]
        res[std] = 'ok'
        for cmd in steps:
            rc, out = run(cmd, tmp)
            if rc:
                res[std] = 'FAIL: ' + out.strip().splitlines()[-1][:200] if out.strip() else 'FAIL'
                break
        if std == 'CL1.2' and res[std] == 'ok' and ptxas:
            for sm in SM:
                rc, out = run([ptxas, '-arch=' + sm, '-v', ptx, '-o', '%s/%s.cubin' % (tmp, key)], tmp)
                res[sm] = ptxas_lattice(out) if rc == 0 else {'fail': out.strip()[-200:]}
    return res


def ptxas_lattice(text):
    """registers, stack and spill bytes ptxas reports for nbcl_lattice"""
    m = re.search(r"Function properties for nbcl_lattice\s*\n\s*(\d+) bytes stack frame, "
                  r"(\d+) bytes spill stores, (\d+) bytes spill loads", text)
    regs = re.search(r"Compiling entry function 'nbcl_lattice'.*?Used (\d+) registers", text, re.S)
    if not m or not regs:
        return {'fail': 'no nbcl_lattice in the ptxas report'}
    return {'regs': int(regs.group(1)), 'stack': int(m.group(1)),
            'spill': int(m.group(2)) + int(m.group(3))}


def build_amd(key, options, src, tmp):
    res = {}
    for gfx in AMD:
        for std in STDS:
            out = '%s/%s-%s-%s.o' % (tmp, key, gfx, std)
            cmd = clang(std, 'amdgcn-amd-amdhsa', options, src, out,
                        ['-mcpu=' + gfx, '-nogpulib', '-Xclang', '-mlink-builtin-bitcode',
                         '-Xclang', CLC + '/amdgcn--amdhsa.bc', '-O2', '-c',
                         '-Rpass-analysis=kernel-resource-usage'])
            rc, text = run(cmd, tmp)
            if rc:
                res[(gfx, std)] = {'fail': text.strip()[-200:]}
                continue
            # the remarks of nbcl_lattice come first: the lattice stage precedes the scale stage
            lat = text.split('Function Name: photons_per_pixel')[0].split('Function Name: nbcl_scale')[0]

            def first(pattern):
                found = re.findall(pattern, lat)
                return int(found[0]) if found else -1
            res[(gfx, std)] = {'vgprs': first(r'VGPRs: (\d+)'),
                               # VGPR spills go to scratch memory (SGPR spills go to VGPR
                               # lanes, which costs no memory traffic)
                               'scratch': first(r'ScratchSize \[bytes/lane\]: (\d+)'),
                               'spill': max(0, first(r'VGPRs Spill: (\d+)'))}
    return res


def build_spir(key, options, src, tmp):
    res = {}
    for std in STDS:
        bc, spv = '%s/%s-%s-spir.bc' % (tmp, key, std), '%s/%s-%s.spv' % (tmp, key, std)
        res[std] = 'ok'
        for cmd in [clang(std, 'spir64', options, src, bc, ['-O0', '-emit-llvm', '-c']),
                    ['llvm-spirv-' + LLVM, bc, '-o', spv], ['spirv-val', spv]]:
            rc, out = run(cmd, tmp)
            if rc:
                res[std] = 'FAIL: ' + (out.strip().splitlines() or [''])[-1][:200]
                break
    return res


def build_one(key, options, dump, ptxas):
    src = os.path.join(dump, key + '.cl')
    with tempfile.TemporaryDirectory(prefix='nbcl-offline-b-') as tmp:
        return key, options, build_nvptx(key, options, src, tmp, ptxas), \
            build_amd(key, options, src, tmp), build_spir(key, options, src, tmp)


def short_options(options):
    words = options.split()
    prec = 'double' if '-DNBCL_DOUBLE=1' in words else 'single'
    rest = [w[len('-DNBCL_'):] for w in words if w.startswith('-DNBCL_')
            and not w.startswith(('-DNBCL_DOUBLE', '-DNBCL_VW=1'))]
    return prec + ' ' + ' '.join(rest)


def cell_ptx(r):
    if not r:
        return 'n/a'
    if 'fail' in r:
        return 'FAIL'
    return '%d/%d/%d' % (r['regs'], r['stack'], r['spill'])


def table(results, ptxas):
    lines = ['| program (precision, defines) | nvptx64 CL1.2/3.0 | sm_80 regs/stack/spill | '
             'sm_90 regs/stack/spill | gfx90a VGPR/scratch/spill | gfx1100 VGPR/scratch/spill | '
             'amdgcn CL1.2/3.0 | spir64 + spirv-val CL1.2/3.0 |', '|' + ' --- |' * 8]
    bad, warn = [], []
    for key, options, nv, amd, spir in results:
        nvok = '/'.join('ok' if nv[s] == 'ok' else 'FAIL' for s in STDS)
        amdok = '/'.join('ok' if all('fail' not in amd[(g, s)] for g in AMD) else 'FAIL'
                         for s in STDS)
        spok = '/'.join('ok' if spir[s] == 'ok' else 'FAIL' for s in STDS)
        amdcell = {g: ('FAIL' if 'fail' in amd[(g, 'CL1.2')] else '%d/%d/%d' % (
            amd[(g, 'CL1.2')]['vgprs'], amd[(g, 'CL1.2')]['scratch'], amd[(g, 'CL1.2')]['spill']))
                   for g in AMD}
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
            short_options(options), nvok, cell_ptx(nv.get('sm_80')) if ptxas else 'no ptxas',
            cell_ptx(nv.get('sm_90')) if ptxas else 'no ptxas', amdcell['gfx90a'],
            amdcell['gfx1100'], amdok, spok))
        for what, r in [('nvptx ' + s, nv[s]) for s in STDS] + [('spir64 ' + s, spir[s]) for s in STDS]:
            if r != 'ok':
                bad.append('%s %s: %s' % (key, what, r))
        for k, r in amd.items():
            if 'fail' in r:
                bad.append('%s amdgcn %s %s: %s' % (key, k[0], k[1], r['fail']))
            elif r['spill'] > 0:
                warn.append('%s (%s) amdgcn %s %s: %d VGPRs spilled, %d bytes scratch per lane'
                            % (key, short_options(options), k[0], k[1], r['spill'], r['scratch']))
        for sm in SM:
            r = nv.get(sm)
            if r and 'fail' in r:
                bad.append('%s ptxas %s: %s' % (key, sm, r['fail']))
            elif r and r['spill'] > 0:
                bad.append('%s ptxas %s: %d spill bytes' % (key, sm, r['spill']))
    return '\n'.join(lines), bad, warn


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--bin', required=True)
    ap.add_argument('--golden', required=True)
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--md', help='also write the table to this file')
    ap.add_argument('--cases', help='only these golden case ids (comma-separated)')
    a = ap.parse_args()
    missing = [t for t in TOOLS if not shutil.which(t)]
    missing += [p for p in (CLC + '/nvptx64--nvidiacl.bc', CLC + '/amdgcn--amdhsa.bc')
                if not os.path.exists(p)]
    if missing:
        print('skipped: missing ' + ', '.join(missing) + ' (tools/install-deps.sh installs them)')
        return 77
    ptxas = find_ptxas()
    only = set(a.cases.split(',')) if a.cases else None
    cases = read_cases(a.golden, only) + ([] if only else EXTRA_CASES)
    with tempfile.TemporaryDirectory(prefix='nbcl-offline-dump-') as dump:
        programs = dump_programs(os.path.abspath(a.bin), os.path.abspath(a.golden), cases, dump)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
            results = list(pool.map(lambda kv: build_one(kv[0], kv[1], dump, ptxas), programs))
    text, bad, warn = table(sorted(results, key=lambda r: short_options(r[1])), ptxas)
    head = ('%d distinct programs (width 1) from %d option sets; ptxas: %s\n\n'
            % (len(results), len(cases) * 2, ptxas or 'not found'))
    print(head + text)
    if a.md:
        with open(a.md, 'w', encoding='utf-8') as f:
            f.write(head + text + '\n')
    for w in warn:
        print('WARNING ' + w, file=sys.stderr)
    for b in bad:
        print('FAIL ' + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
