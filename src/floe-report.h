/* What a headless run tells the world: a readable log on stderr, with --json
 * one JSON object per line on stdout (each with a monotonic timestamp), and
 * with --junit a JUnit XML file holding one test case per verdict. */
#pragma once

#include <json-glib/json-glib.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef struct _FloeReport FloeReport;

/* json_out: where JSON lines go, or NULL for none. */
FloeReport *floe_report_new (FILE *json_out);
void floe_report_free (FloeReport *report);

/* Seconds since the report was created, from the monotonic clock. */
double floe_report_elapsed (FloeReport *report);

/* Starts an event object holding "event" and "t"; add members to the
 * builder, then hand it to floe_report_emit(). */
JsonBuilder *floe_report_begin (FloeReport *report, const char *event);

/* Writes the event (as one JSON line when enabled) and, when human is not
 * NULL, a line for people on stderr. Takes the builder. */
void floe_report_emit (FloeReport *report, JsonBuilder *event, const char *human, ...)
  G_GNUC_PRINTF (3, 4);

/* Records the outcome of one expectation for the JUnit report (and the
 * summary): name like "expect-pair", message saying what was seen. */
void floe_report_verdict (FloeReport *report, const char *name, gboolean passed,
                          const char *message);

/* TRUE when every verdict so far passed. */
gboolean floe_report_passed (FloeReport *report);

gboolean floe_report_write_junit (FloeReport *report, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FloeReport, floe_report_free)

G_END_DECLS
