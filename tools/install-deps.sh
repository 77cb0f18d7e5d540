#!/bin/sh
# install-deps.sh: the Debian/Ubuntu packages nanoBragg-CL needs to build and test, PoCL
# included (the CPU OpenCL device). Used by the README's commands and by .ci/run.
set -e
PACKAGES="meson ninja-build pkg-config gcc ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo libcriterion-dev zlib1g-dev libpng-dev python3 libhdf5-dev hdf5-filter-plugin libcbf-dev libcjson-dev oclgrind openmpi-bin libopenmpi-dev mesa-opencl-icd clang libclang-rt-14-dev clang-15 llvm-15 llvm-spirv-15 spirv-tools libclc-15"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y $PACKAGES
