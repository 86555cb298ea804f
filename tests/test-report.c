/* The headless report: JSON lines that parse back, and a JUnit file that a
 * CI system can read. */
#include "config.h"

#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>

#include "src/floe-report.h"
#include "check-run.h"

START_TEST (test_json_lines_and_junit)
{
  g_autofree char *dir = g_dir_make_tmp ("floe-report-XXXXXX", NULL);
  g_autofree char *junit = g_build_filename (dir, "junit.xml", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  char *json = NULL;
  size_t json_len = 0;
  FILE *out = open_memstream (&json, &json_len);
  FloeReport *r = floe_report_new (out);
  JsonBuilder *b = floe_report_begin (r, "pair-selected");

  json_builder_set_member_name (b, "local");
  json_builder_add_string_value (b, "relay \"quoted\"");
  floe_report_emit (r, b, NULL);
  floe_report_verdict (r, "expect-pair", TRUE, "relay as expected");
  ck_assert (floe_report_passed (r));
  floe_report_verdict (r, "expect-audio", FALSE, "no 440 Hz tone <in> 5 s");
  ck_assert (!floe_report_passed (r));
  ck_assert (floe_report_write_junit (r, junit, NULL));
  floe_report_free (r);
  fclose (out);

  lines = g_strsplit (json, "\n", -1);
  ck_assert_int_eq (g_strv_length (lines), 4); /* three events and the empty tail */
  for (int i = 0; i < 3; i++)
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      JsonObject *o;
      ck_assert_msg (json_parser_load_from_data (p, lines[i], -1, NULL), "line %d: %s", i, lines[i]);
      o = json_node_get_object (json_parser_get_root (p));
      ck_assert (json_object_has_member (o, "event"));
      ck_assert (json_object_get_double_member (o, "t") >= 0);
      if (i == 0)
        ck_assert_str_eq (json_object_get_string_member (o, "local"), "relay \"quoted\"");
      if (i == 2)
        ck_assert (!json_object_get_boolean_member (o, "passed"));
    }
  free (json);

  ck_assert (g_file_get_contents (junit, &text, NULL, NULL));
  ck_assert_ptr_nonnull (strstr (text, "tests=\"2\" failures=\"1\""));
  ck_assert_ptr_nonnull (strstr (text, "<failure message=\"no 440 Hz tone &lt;in&gt; 5 s\"/>"));
  g_unlink (junit);
  g_rmdir (dir);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("report");
  TCase *tc = tcase_create ("report");

  tcase_add_test (tc, test_json_lines_and_junit);
  suite_add_tcase (s, tc);
  return floe_check_run (s);
}
