#include "config.h"

#include "floe-report.h"

typedef struct
{
  char *name;
  gboolean passed;
  char *message;
  double t;
} Verdict;

struct _FloeReport
{
  FILE *json_out;
  gint64 start_us;
  GArray *verdicts; /* Verdict */
};

static void
verdict_clear (gpointer data)
{
  Verdict *v = data;

  g_free (v->name);
  g_free (v->message);
}

FloeReport *
floe_report_new (FILE *json_out)
{
  FloeReport *r = g_new0 (FloeReport, 1);

  r->json_out = json_out;
  r->start_us = g_get_monotonic_time ();
  r->verdicts = g_array_new (FALSE, TRUE, sizeof (Verdict));
  g_array_set_clear_func (r->verdicts, verdict_clear);
  return r;
}

void
floe_report_free (FloeReport *r)
{
  if (r == NULL)
    return;
  g_array_unref (r->verdicts);
  g_free (r);
}

double
floe_report_elapsed (FloeReport *r)
{
  return (g_get_monotonic_time () - r->start_us) / 1e6;
}

JsonBuilder *
floe_report_begin (FloeReport *r, const char *event)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, event);
  json_builder_set_member_name (b, "t");
  /* milliseconds are plenty and keep the lines short */
  json_builder_add_double_value (b, (double) (gint64) (floe_report_elapsed (r) * 1000) / 1000);
  return b;
}

void
floe_report_emit (FloeReport *r, JsonBuilder *b, const char *human, ...)
{
  json_builder_end_object (b);
  if (r->json_out != NULL)
    {
      g_autoptr (JsonNode) root = json_builder_get_root (b);
      g_autofree char *line = json_to_string (root, FALSE);
      fprintf (r->json_out, "%s\n", line);
      fflush (r->json_out);
    }
  g_object_unref (b);

  if (human != NULL)
    {
      va_list ap;
      g_autofree char *text = NULL;
      va_start (ap, human);
      text = g_strdup_vprintf (human, ap);
      va_end (ap);
      fprintf (stderr, "[%8.3f] %s\n", floe_report_elapsed (r), text);
    }
}

void
floe_report_verdict (FloeReport *r, const char *name, gboolean passed, const char *message)
{
  Verdict v = { g_strdup (name), passed, g_strdup (message), floe_report_elapsed (r) };
  JsonBuilder *b = floe_report_begin (r, "verdict");

  g_array_append_val (r->verdicts, v);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "passed");
  json_builder_add_boolean_value (b, passed);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  floe_report_emit (r, b, "%s %s: %s", passed ? "PASS" : "FAIL", name, message);
}

gboolean
floe_report_passed (FloeReport *r)
{
  for (guint i = 0; i < r->verdicts->len; i++)
    if (!g_array_index (r->verdicts, Verdict, i).passed)
      return FALSE;
  return TRUE;
}

gboolean
floe_report_write_junit (FloeReport *r, const char *path, GError **error)
{
  g_autoptr (GString) xml = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  guint failures = 0;

  for (guint i = 0; i < r->verdicts->len; i++)
    failures += !g_array_index (r->verdicts, Verdict, i).passed;
  g_string_append_printf (xml, "<testsuite name=\"floe\" tests=\"%u\" failures=\"%u\" time=\"%.3f\">\n",
                          r->verdicts->len, failures, floe_report_elapsed (r));
  for (guint i = 0; i < r->verdicts->len; i++)
    {
      const Verdict *v = &g_array_index (r->verdicts, Verdict, i);
      g_autofree char *name = g_markup_escape_text (v->name, -1);
      g_autofree char *message = g_markup_escape_text (v->message, -1);

      g_string_append_printf (xml, "  <testcase classname=\"floe\" name=\"%s\" time=\"%.3f\"", name, v->t);
      if (v->passed)
        g_string_append_printf (xml, ">\n    <system-out>%s</system-out>\n  </testcase>\n", message);
      else
        g_string_append_printf (xml, ">\n    <failure message=\"%s\"/>\n  </testcase>\n", message);
    }
  g_string_append (xml, "</testsuite>\n");
  return g_file_set_contents (path, xml->str, (gssize) xml->len, error);
}
