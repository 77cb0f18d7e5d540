/* test_devcli.c: the command line's view of the runtime: the precision rule (on made-up
 * devices), listing the real devices, and picking with NBCL_DEVICE. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "device/choose.h"
#include "../support/test_log.h"

static nbcl_device_info two[2];

static void setup(void)
{
    memset(two, 0, sizeof two);
    snprintf(two[0].name, sizeof two[0].name, "with-fp64");
    snprintf(two[1].name, sizeof two[1].name, "without-fp64");
    two[0].index = 0;
    two[1].index = 1;
    two[0].has_fp64 = 1;
    two[0].c_major = two[1].c_major = 1;
    two[0].c_minor = two[1].c_minor = 2;
}

Test(devcli, a_device_below_opencl_c_1_2_is_refused)
{
    nbcl_err err = {0};
    cr_expect_eq(nbcl_runtime_c_version(two, (int[]){0, 1}, 2, &err), 0, "%s", err.msg);
    two[1].c_minor = 1;
    cr_expect_neq(nbcl_runtime_c_version(two, (int[]){0, 1}, 2, &err), 0);
    cr_expect(strstr(err.msg, "without-fp64") && strstr(err.msg, "OpenCL C 1.1") &&
              strstr(err.msg, "1.2"), "%s", err.msg);
    cr_expect_eq(nbcl_runtime_c_version(two, (int[]){0}, 1, &err), 0, "only the picked devices count");
    two[0].c_major = 3;
    two[0].c_minor = 0;
    cr_expect_eq(nbcl_runtime_c_version(two, (int[]){0}, 1, &err), 0, "3.0 is newer than 1.2");
}

Test(devcli, real_devices_report_their_opencl_c_version)
{
    nbcl_device_info *list = NULL;
    int n = 0;
    nbcl_err err = {0};
    cr_assert_eq(nbcl_device_enumerate(&list, &n, NULL, &err), 0, "%s", err.msg);
    for (int i = 0; i < n; ++i)
        cr_expect(list[i].c_major >= 1, "device %d: OpenCL C %d.%d", i, list[i].c_major, list[i].c_minor);
    free(list);
}

/* what was written to a temporary log */
static char *read_log(FILE *f)
{
    static char buf[8192];
    size_t n;
    rewind(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    return buf;
}

TestSuite(devcli, .init = setup);

Test(devcli, auto_precision_is_double_when_all_have_fp64)
{
    int use_double = -1;
    nbcl_err err;
    FILE *log = tmpfile();
    nbcl_log L = test_log_to(log);
    cr_assert_eq(nbcl_runtime_precision(two, (int[]){0}, 1, 0, &use_double, &L, &err), 0);
    cr_expect_eq(use_double, 1);
    cr_expect_str_eq(read_log(log), "", "a CPU needs no note");
    fclose(log);
}

Test(devcli, auto_double_on_a_gpu_says_how_to_get_single)
{
    int use_double = -1;
    nbcl_err err = {0};
    FILE *log = tmpfile();
    nbcl_log L = test_log_to(log);
    two[0].type = CL_DEVICE_TYPE_GPU;
    cr_assert_eq(nbcl_runtime_precision(two, (int[]){0}, 1, 0, &use_double, &L, &err), 0);
    cr_expect_eq(use_double, 1);
    char *text = read_log(log);
    cr_expect(strstr(text, "double precision") && strstr(text, "-precision single"), "%s", text);
    fclose(log);
    /* asked for explicitly: no note */
    log = tmpfile();
    L = test_log_to(log);
    cr_assert_eq(nbcl_runtime_precision(two, (int[]){0}, 1, 1, &use_double, &L, &err), 0);
    cr_expect_str_eq(read_log(log), "");
    fclose(log);
}

Test(devcli, auto_precision_falls_back_to_single_with_a_notice)
{
    int use_double = -1;
    nbcl_err err;
    FILE *log = tmpfile();
    nbcl_log L = test_log_to(log);
    cr_assert_eq(nbcl_runtime_precision(two, (int[]){0, 1}, 2, 0, &use_double, &L, &err), 0);
    cr_expect_eq(use_double, 0);
    char *text = read_log(log);
    cr_expect(strstr(text, "without-fp64") && strstr(text, "single"), "%s", text);
    cr_expect_eq(strchr(text, '\n'), text + strlen(text) - 1, "one line: %s", text);
    fclose(log);
}

Test(devcli, double_without_fp64_is_an_error)
{
    int use_double = -1;
    nbcl_err err = {0};
    cr_assert_neq(nbcl_runtime_precision(two, (int[]){1}, 1, 1, &use_double, NULL, &err), 0);
    cr_expect(strstr(err.msg, "without-fp64") && strstr(err.msg, "fp64"), "%s", err.msg);
}

Test(devcli, single_and_double_as_asked)
{
    int use_double = -1;
    nbcl_err err;
    cr_assert_eq(nbcl_runtime_precision(two, (int[]){0}, 1, 2, &use_double, NULL, &err), 0);
    cr_expect_eq(use_double, 0);
    cr_assert_eq(nbcl_runtime_precision(two, (int[]){0}, 1, 1, &use_double, NULL, &err), 0);
    cr_expect_eq(use_double, 1);
}

Test(devcli, device_list_has_a_summary_line_per_device)
{
    nbcl_device_desc *list = NULL;
    int n = 0;
    cr_assert_eq(nbcl_devices_list(&list, &n), NBCL_OK, "%s", nbcl_last_error());
    cr_assert_gt(n, 0);
    cr_expect(strstr(list[0].summary, " 0  0:0  ") != NULL, "%s", list[0].summary);
    cr_expect(strstr(list[0].summary, "fp64") != NULL, "%s", list[0].summary);
    cr_expect_eq(list[0].index, 0);
    cr_expect(list[0].name[0] != '\0');
    nbcl_devices_free(list);
}

Test(devcli, pick_uses_nbcl_device_when_no_spec)
{
    nbcl_device_info *list = NULL;
    int count = 0, *picked = NULL, np = 0, use_double = -1;
    nbcl_err err = {0};
    FILE *log = tmpfile();
    nbcl_log L = test_log_to(log);
    setenv("NBCL_DEVICE", "no-such-device-anywhere", 1);
    cr_expect_neq(nbcl_runtime_pick(NULL, 0, &list, &count, &picked, &np, &use_double, &L, &err), 0);
    cr_expect(strstr(err.msg, "no-such-device-anywhere") != NULL, "%s", err.msg);
    cr_expect_null(list);
    setenv("NBCL_DEVICE", "0", 1);
    cr_assert_eq(nbcl_runtime_pick(NULL, 0, &list, &count, &picked, &np, &use_double, &L, &err),
                 0, "%s", err.msg);
    cr_expect_eq(np, 1);
    cr_expect_eq(picked[0], 0);
    cr_expect(use_double == 0 || use_double == 1);
    cr_expect(strstr(read_log(log), "using device: ") != NULL);
    free(list);
    free(picked);
    /* an explicit spec wins over NBCL_DEVICE */
    setenv("NBCL_DEVICE", "no-such-device-anywhere", 1);
    cr_assert_eq(nbcl_runtime_pick("all", 2, &list, &count, &picked, &np, &use_double, NULL, &err),
                 0, "%s", err.msg);
    cr_expect_eq(np, count);
    cr_expect_eq(use_double, 0);
    free(list);
    free(picked);
    fclose(log);
}
