# device_env.sh: sourced on a lent GPU machine (after tools/device_bundle.sh packed DEST
# here and DEST travelled with the working tree): puts the bundled libraries and clinfo on
# the paths, and registers the machine's OpenCL drivers with the bundled ICD loader beside
# those of /etc/OpenCL/vendors, since such machines mount the driver's OpenCL library
# (/usr/lib/libnvidia-opencl.so.1) without its vendors file.
#
# Usage: NBCL_BUNDLE=DEST . tools/device_env.sh   (bash also takes: . tools/device_env.sh DEST)
nbcl_bundle=$(cd "${1:-${NBCL_BUNDLE:-.gpu}}" && pwd) || return 1
export LD_LIBRARY_PATH="$nbcl_bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$nbcl_bundle/bin:$PATH"
rm -rf "$nbcl_bundle/vendors"; mkdir -p "$nbcl_bundle/vendors"
cp /etc/OpenCL/vendors/*.icd "$nbcl_bundle/vendors/" 2>/dev/null
for lib in $(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so|libamdocl64\.so|libintelocl\.so/ { print $NF }') \
           $(ls /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 \
                /usr/local/nvidia/lib64/libnvidia-opencl.so.1 2>/dev/null); do
    grep -qs "${lib##*/}" "$nbcl_bundle"/vendors/*.icd || echo "$lib" >"$nbcl_bundle/vendors/${lib##*/}.icd"
done
export OCL_ICD_VENDORS="$nbcl_bundle/vendors"
echo "device_env: ICDs: $(awk 1 "$OCL_ICD_VENDORS"/*.icd 2>/dev/null | tr "\n" " ")"
