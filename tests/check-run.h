/* How every Floe test program runs its Check suite. */
#pragma once

#include <check.h>
#include <stdlib.h>

/* Runs the suite with the verbosity CK_VERBOSITY asks for, frees it, and
 * returns the program's exit status. */
static inline int
floe_check_run (Suite *suite)
{
  SRunner *sr = srunner_create (suite);
  int failed;

  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
