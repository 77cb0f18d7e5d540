# device_env.sh: sourced on a lent GPU machine (after tools/device_bundle.sh packed DEST
# here and DEST travelled with the working tree): puts the bundled libraries and clinfo on
# the paths, and registers the machine's OpenCL drivers with the bundled ICD loader, since
# such machines mount the driver's libraries without the /etc/OpenCL/vendors file.
#
# Usage: NBCL_BUNDLE=DEST . tools/device_env.sh   (bash also takes: . tools/device_env.sh DEST)
nbcl_bundle=$(cd "${1:-${NBCL_BUNDLE:-.gpu}}" && pwd) || return 1
export LD_LIBRARY_PATH="$nbcl_bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$nbcl_bundle/bin:$PATH"
if [ -z "$(ls /etc/OpenCL/vendors/*.icd 2>/dev/null)" ]; then
    mkdir -p "$nbcl_bundle/vendors"
    for lib in $(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so|libamdocl64\.so|libintelocl\.so/ { print $NF }') \
               $(ls /usr/local/nvidia/lib64/libnvidia-opencl.so.* /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.* 2>/dev/null); do
        echo "$lib" > "$nbcl_bundle/vendors/$(basename "$lib" | cut -d. -f1).icd"
    done
    export OCL_ICD_VENDORS="$nbcl_bundle/vendors"
fi
echo "device_env: ICDs: $(awk 1 "${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}"/*.icd 2>/dev/null | tr "\n" " ")"
