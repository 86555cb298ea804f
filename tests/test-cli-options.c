/* The headless command line: parsing, merging with --config, and the
 * sentences people see when they get it wrong. */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>

#include "src/floe-cli-options.h"
#include "src/floe-ice-server.h"
#include "src/floe-sdp.h"
#include "check-run.h"

/* Parses a NULL-terminated argument list; returns options or NULL with *message. */
static FloeCliOptions *
parse (char **message, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  FloeCliOptions *o;
  va_list ap;
  char **argv;
  int argc;

  g_ptr_array_add (args, (char *) "floe");
  va_start (ap, message);
  for (char *a = va_arg (ap, char *); a != NULL; a = va_arg (ap, char *))
    g_ptr_array_add (args, a);
  va_end (ap);
  argc = (int) args->len;
  g_ptr_array_add (args, NULL);
  argv = g_memdup2 (args->pdata, sizeof (char *) * args->len);
  o = floe_cli_options_parse (&argc, &argv, &error);
  g_free (argv);
  if (message != NULL)
    *message = error ? g_strdup (error->message) : NULL;
  return o;
}

START_TEST (test_defaults)
{
  g_autoptr (FloeCliOptions) o = parse (NULL, "--headless", NULL);

  ck_assert_ptr_nonnull (o);
  ck_assert_int_eq (o->ice_policy, FLOE_ICE_POLICY_ALL);
  ck_assert_int_eq (o->srtp, FLOE_SRTP_OPTIONAL);
  ck_assert_int_eq (o->auto_answer_ms, -1);
  ck_assert_int_eq (o->calls, 1);
  ck_assert_str_eq (o->codecs[0], "opus");
  ck_assert_str_eq (o->codecs[2], "pcma");
  ck_assert_ptr_null (o->codecs[3]);
}
END_TEST

/* Headless calls default to the light Opus profile: many per core, and a
 * continuous stream (no DTX) for the verdicts to judge. */
START_TEST (test_opus_settings)
{
  media_opus_settings light = media_opus_profile_settings (MEDIA_OPUS_PROFILE_LIGHT);
  g_autoptr (FloeCliOptions) plain = parse (NULL, "--headless", NULL);
  g_autoptr (FloeCliOptions) o = NULL;

  ck_assert_ptr_nonnull (plain);
  ck_assert_int_eq (plain->opus.complexity, light.complexity);
  ck_assert_int_eq (plain->opus.max_bandwidth, light.max_bandwidth);
  ck_assert (!plain->opus.dtx);
  ck_assert (plain->opus.low_delay);
  o = parse (NULL, "--opus-complexity", "10", "--opus-bandwidth", "full", "--dtx", "--opus-mode", "voice", NULL);
  ck_assert_ptr_nonnull (o);
  ck_assert_int_eq (o->opus.complexity, 10);
  ck_assert_int_eq (o->opus.max_bandwidth, MEDIA_OPUS_BANDWIDTH_FULL);
  ck_assert (o->opus.dtx);
  ck_assert (!o->opus.low_delay);
  g_clear_pointer (&o, floe_cli_options_free);
  o = parse (NULL, "--opus-complexity=0", "--opus-bandwidth=Narrow", NULL);
  ck_assert_ptr_nonnull (o);
  ck_assert_int_eq (o->opus.complexity, 0);
  ck_assert_int_eq (o->opus.max_bandwidth, MEDIA_OPUS_BANDWIDTH_NARROW);
  ck_assert (!o->opus.dtx);
}
END_TEST

/* The next call's candidates are gathered ahead unless told not to. */
START_TEST (test_gather_ahead)
{
  g_autoptr (FloeCliOptions) plain = parse (NULL, "--headless", NULL);
  g_autoptr (FloeCliOptions) o = parse (NULL, "--no-gather-ahead", NULL);

  ck_assert_ptr_nonnull (plain);
  ck_assert_ptr_nonnull (o);
  ck_assert (plain->gather_ahead);
  ck_assert (!o->gather_ahead);
}
END_TEST

START_TEST (test_call_flags)
{
  g_autoptr (FloeCliOptions) o = NULL;

  g_setenv ("FLOE_TEST_PW", "s3cret", TRUE);
  o = parse (NULL, "--account", "sip:alice@example.org", "--password-env", "FLOE_TEST_PW", "--call",
             "sip:bob@example.org", "--expect-pair", "relay", "--expect-audio", "--srtp", "required",
             "--ice-policy", "relay-only", "--turn", "turn:203.0.113.10:3478?transport=tcp", "--turn-user",
             "floe", "--turn-password-env", "FLOE_TEST_PW", "--stun", "203.0.113.10", "--play", "tone:440",
             "--dtmf", "12#", "--codecs", "pcmu, opus", NULL);
  ck_assert_ptr_nonnull (o);
  ck_assert_str_eq (o->password, "s3cret");
  ck_assert_int_eq (o->expect_pair, FLOE_EXPECT_PAIR_RELAY);
  ck_assert (o->expect_audio);
  ck_assert_int_eq (o->srtp, FLOE_SRTP_REQUIRED);
  ck_assert_int_eq (o->ice_servers->len, 2);
  ck_assert_double_eq (floe_cli_options_tone_hz (o->play), 440.0);
  ck_assert_str_eq (o->codecs[0], "pcmu");
  ck_assert_str_eq (o->codecs[1], "opus");
}
END_TEST

START_TEST (test_auto_answer_optional_delay)
{
  g_autoptr (FloeCliOptions) plain = parse (NULL, "--auto-answer", NULL);
  g_autoptr (FloeCliOptions) delayed = parse (NULL, "--auto-answer=1500", NULL);
  g_autofree char *message = NULL;
  g_autoptr (FloeCliOptions) bad = parse (&message, "--auto-answer=soon", NULL);

  ck_assert_int_eq (plain->auto_answer_ms, 0);
  ck_assert_int_eq (delayed->auto_answer_ms, 1500);
  ck_assert_ptr_null (bad);
  ck_assert_ptr_nonnull (strstr (message, "soon"));
}
END_TEST

/* Each mistake is refused with a sentence naming what to change. */
START_TEST (test_errors_name_the_fix)
{
  static const struct
  {
    const char *args[4];
    const char *says;
  } cases[] = {
    { { "--account", "sip:alice@example.org", NULL }, "--password-file" },
    { { "--account", "alice@example.org", "--password-env", "HOME" }, "sip:user@domain" },
    { { "--ice-policy", "sometimes", NULL }, "all|no-relay|relay-only" },
    { { "--srtp", "maybe", NULL }, "off|optional|required" },
    { { "--expect-pair", "best", NULL }, "host|srflx|prflx|relay|direct" },
    { { "--codecs", "opus,g729", NULL }, "g729" },
    { { "--dtmf", "12x", NULL }, "12x" },
    { { "--play", "tone:5", NULL }, "tone:5" },
    { { "--turn", "turn:relay.example.org", NULL }, "--turn-user" },
    { { "--ice-policy", "relay-only", NULL }, "TURN server" },
    { { "--password-env", "FLOE_UNSET_VARIABLE", NULL }, "FLOE_UNSET_VARIABLE" },
    { { "--call", "sip:a@b", "--auto-answer", NULL }, "not both" },
    { { "--calls", "3", NULL }, "--auto-answer" },
    { { "--opus-complexity", "11", NULL }, "0 (cheapest) to 10 (best), not “11”" },
    { { "--opus-complexity", "-1", NULL }, "not “-1”" },
    { { "--opus-complexity", "high", NULL }, "not “high”" },
    { { "--opus-complexity", "", NULL }, "--opus-complexity" },
    { { "--opus-bandwidth", "ultra", NULL }, "narrow|medium|wide|superwide|full" },
    { { "--opus-mode", "fast", NULL }, "voice|low-delay" },
  };

  g_unsetenv ("FLOE_UNSET_VARIABLE");
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *message = NULL;
      FloeCliOptions *o = parse (&message, cases[i].args[0], cases[i].args[1], cases[i].args[2],
                                 cases[i].args[3], NULL);
      ck_assert_msg (o == NULL, "case %zu was accepted", i);
      ck_assert_msg (strstr (message, cases[i].says) != NULL, "case %zu: “%s” does not mention “%s”", i,
                     message, cases[i].says);
    }
}
END_TEST

/* A configuration with content is refused, with a message that names
 * needle. */
static void
refused_config (const char *conf, const char *content, const char *needle)
{
  g_autofree char *message = NULL;

  ck_assert (g_file_set_contents (conf, content, -1, NULL));
  ck_assert_ptr_null (parse (&message, "--config", conf, NULL));
  ck_assert_ptr_nonnull (message);
  ck_assert_ptr_nonnull (strstr (message, needle));
}

START_TEST (test_config_file_and_flags_win)
{
  g_autofree char *dir = g_dir_make_tmp ("floe-cli-XXXXXX", NULL);
  g_autofree char *conf = g_build_filename (dir, "floe.conf", NULL);
  g_autofree char *secret = g_build_filename (dir, "password", NULL);
  g_autoptr (FloeCliOptions) o = NULL;
  g_autofree char *text = g_strdup_printf ("[account]\nuri=sip:alice@example.org\npassword-file=%s\n"
                                           "transport=tcp\n[ice]\nstun=203.0.113.10:3478;203.0.113.11\n"
                                           "policy=no-relay\ngather-ahead=false\n[media]\nsrtp=off\n"
                                           "opus-complexity=3\n"
                                           "opus-bandwidth=superwide\ndtx=true\n",
                                           secret);

  ck_assert (g_file_set_contents (secret, "from-file\n", -1, NULL));
  ck_assert (g_file_set_contents (conf, text, -1, NULL));
  o = parse (NULL, "--config", conf, "--srtp", "required", NULL);
  ck_assert_ptr_nonnull (o);
  ck_assert_str_eq (o->account, "sip:alice@example.org");
  ck_assert_str_eq (o->password, "from-file");
  ck_assert_int_eq (o->transport, 1); /* FLOE_SIP_TRANSPORT_TCP */
  ck_assert_int_eq (o->ice_servers->len, 2);
  ck_assert_int_eq (o->ice_policy, FLOE_ICE_POLICY_NO_RELAY);
  ck_assert (!o->gather_ahead);
  ck_assert_int_eq (o->srtp, FLOE_SRTP_REQUIRED); /* the flag wins */
  ck_assert_int_eq (o->opus.complexity, 3);
  ck_assert_int_eq (o->opus.max_bandwidth, MEDIA_OPUS_BANDWIDTH_SUPERWIDE);
  ck_assert (o->opus.dtx);
  g_clear_pointer (&o, floe_cli_options_free);
  o = parse (NULL, "--config", conf, "--opus-complexity", "5", NULL);
  ck_assert_ptr_nonnull (o);
  ck_assert_int_eq (o->opus.complexity, 5); /* the flag wins */

  refused_config (conf, "[media]\ndtx=sometimes\n", "dtx");
  refused_config (conf, "[ice]\ngather-ahead=later\n", "gather-ahead");
  refused_config (conf, "[media]\nopus-complexity=12\n", "“12”");

  refused_config (conf, "[account]\nuri=sip:a@b\npassword=plain\n", "password-file");

  g_unlink (secret);
  g_unlink (conf);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_ice_server_uris)
{
  static const struct
  {
    const char *in;
    FloeIceServerKind default_kind;
    const char *out; /* NULL: rejected */
  } cases[] = {
    { "stun:stun.example.org", FLOE_ICE_SERVER_STUN, "stun:stun.example.org:3478" },
    { "203.0.113.10:19302", FLOE_ICE_SERVER_STUN, "stun:203.0.113.10:19302" },
    { "turn:turn.example.org?transport=tcp", FLOE_ICE_SERVER_STUN, "turn:turn.example.org:3478?transport=tcp" },
    { "turn:[2001:db8::1]:3479", FLOE_ICE_SERVER_TURN, "turn:[2001:db8::1]:3479" },
    { "turns:turn.example.org", FLOE_ICE_SERVER_TURN, "turns:turn.example.org:5349" },
    { "turn:turn.example.org?transport=sctp", FLOE_ICE_SERVER_TURN, NULL },
    { "stun:host?transport=tcp", FLOE_ICE_SERVER_STUN, NULL },
    { "2001:db8::1", FLOE_ICE_SERVER_STUN, NULL },
    { "host:0", FLOE_ICE_SERVER_STUN, NULL },
    { "host:70000", FLOE_ICE_SERVER_STUN, NULL },
    { "turn:", FLOE_ICE_SERVER_TURN, NULL },
    { "[", FLOE_ICE_SERVER_TURN, NULL },
    { "[]:1", FLOE_ICE_SERVER_TURN, NULL },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (FloeIceServer) s = floe_ice_server_parse (cases[i].in, cases[i].default_kind, &error);
      if (cases[i].out == NULL)
        {
          ck_assert_msg (s == NULL, "%s was accepted", cases[i].in);
          ck_assert_ptr_nonnull (error);
        }
      else
        {
          g_autofree char *text = NULL;
          ck_assert_msg (s != NULL, "%s: %s", cases[i].in, error ? error->message : "");
          text = floe_ice_server_to_string (s);
          ck_assert_str_eq (text, cases[i].out);
        }
    }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("cli-options");
  TCase *tc = tcase_create ("parse");

  tcase_add_test (tc, test_defaults);
  tcase_add_test (tc, test_opus_settings);
  tcase_add_test (tc, test_gather_ahead);
  tcase_add_test (tc, test_call_flags);
  tcase_add_test (tc, test_auto_answer_optional_delay);
  tcase_add_test (tc, test_errors_name_the_fix);
  tcase_add_test (tc, test_config_file_and_flags_win);
  tcase_add_test (tc, test_ice_server_uris);
  suite_add_tcase (s, tc);
  return floe_check_run (s);
}
