/* test_clerr.c: OpenCL error codes by name and the "<call> failed: <NAME>" message. */
#include <criterion/criterion.h>
#include <string.h>
#include "device/clerr.h"

Test(clerr, names_of_core_codes)
{
    cr_expect_str_eq(nbcl_cl_error_name(CL_SUCCESS), "CL_SUCCESS");
    cr_expect_str_eq(nbcl_cl_error_name(CL_DEVICE_NOT_FOUND), "CL_DEVICE_NOT_FOUND");
    cr_expect_str_eq(nbcl_cl_error_name(CL_BUILD_PROGRAM_FAILURE), "CL_BUILD_PROGRAM_FAILURE");
    cr_expect_str_eq(nbcl_cl_error_name(CL_KERNEL_ARG_INFO_NOT_AVAILABLE),
                     "CL_KERNEL_ARG_INFO_NOT_AVAILABLE");
    cr_expect_str_eq(nbcl_cl_error_name(CL_INVALID_VALUE), "CL_INVALID_VALUE");
    cr_expect_str_eq(nbcl_cl_error_name(CL_INVALID_DEVICE_PARTITION_COUNT),
                     "CL_INVALID_DEVICE_PARTITION_COUNT");
    cr_expect_str_eq(nbcl_cl_error_name(-1001), "CL_PLATFORM_NOT_FOUND_KHR");
}

Test(clerr, every_cl12_code_has_a_name)
{
    for (cl_int c = 0; c >= -19; c--)
        cr_expect(strcmp(nbcl_cl_error_name(c), "CL_UNKNOWN_ERROR") != 0, "code %d", c);
    for (cl_int c = -30; c >= -68; c--)
        cr_expect(strcmp(nbcl_cl_error_name(c), "CL_UNKNOWN_ERROR") != 0, "code %d", c);
}

Test(clerr, unknown_code)
{
    cr_expect_str_eq(nbcl_cl_error_name(-9999), "CL_UNKNOWN_ERROR");
    nbcl_err err;
    cr_expect_eq(nbcl_cl_check(-9999, "clFoo", &err), -1);
    cr_expect_str_eq(err.msg, "clFoo failed: CL_UNKNOWN_ERROR (-9999)");
}

Test(clerr, check_message)
{
    nbcl_err err;
    strcpy(err.msg, "untouched");
    cr_expect_eq(nbcl_cl_check(CL_SUCCESS, "clFinish", &err), 0);
    cr_expect_str_eq(err.msg, "untouched");
    cr_expect_eq(nbcl_cl_check(CL_OUT_OF_RESOURCES, "clEnqueueNDRangeKernel", &err), -1);
    cr_expect_str_eq(err.msg, "clEnqueueNDRangeKernel failed: CL_OUT_OF_RESOURCES");
    cr_expect_eq(nbcl_cl_check(CL_INVALID_VALUE, "clFinish", NULL), -1);
}
