#include "config.h"

#include "floe-cli-options.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "floe-ice-server.h"
#include "floe-sdp.h"

/* What the command line said, before it is merged with the key-file. */
typedef struct
{
  char *config, *account, *password_file, *password_env, *registrar, *proxy, *transport, *ca_file, *listen;
  char **stun, **turn;
  char *turn_user, *turn_password_file, *turn_password_env;
  char *ice_policy, *srtp, *codecs, *interfaces, *opus_complexity, *opus_bandwidth, *opus_mode;
  gboolean register_only, headless, version, help, dtx, no_gather_ahead;
  char *call, *play, *record, *dtmf, *expect_pair;
  int auto_answer_ms;
  double duration_s, rate;
  int calls, max_setup_ms;
  gboolean expect_audio, json, control;
  char *junit, *control_socket;
} Flags;

static void
flags_clear (Flags *f)
{
  g_free (f->config), g_free (f->account), g_free (f->password_file), g_free (f->password_env);
  g_free (f->registrar), g_free (f->proxy), g_free (f->transport), g_free (f->ca_file), g_free (f->listen);
  g_strfreev (f->stun), g_strfreev (f->turn);
  g_free (f->turn_user), g_free (f->turn_password_file), g_free (f->turn_password_env);
  g_free (f->ice_policy), g_free (f->srtp), g_free (f->codecs), g_free (f->interfaces);
  g_free (f->opus_complexity), g_free (f->opus_bandwidth), g_free (f->opus_mode);
  g_free (f->call), g_free (f->play), g_free (f->record), g_free (f->dtmf), g_free (f->expect_pair);
  g_free (f->junit), g_free (f->control_socket);
}

static gboolean
on_auto_answer (const char *name, const char *value, gpointer data, GError **error)
{
  Flags *f = data;
  guint64 ms = 0;

  if (value != NULL && !g_ascii_string_to_unsigned (value, 10, 0, 600000, &ms, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--auto-answer takes a delay in milliseconds (0 to 600000), not “%s”."), value);
      return FALSE;
    }
  f->auto_answer_ms = (int) ms;
  return TRUE;
}

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

/* A secret comes from a file (first line) or an environment variable, never
 * from a visible argument. */
static gboolean
read_secret (const char *what, const char *file, const char *env, char **out, GError **error)
{
  if (file != NULL)
    {
      char *text = NULL;
      g_autoptr (GError) local = NULL;
      if (!g_file_get_contents (file, &text, NULL, &local))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not read the %s from %s: %s"),
                       what, file, local->message);
          return FALSE;
        }
      text[strcspn (text, "\r\n")] = '\0';
      wipe_free (*out);
      *out = text;
    }
  else if (env != NULL)
    {
      const char *value = g_getenv (env);
      if (value == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("The environment variable %s, which should hold the %s, is not set."), env, what);
          return FALSE;
        }
      wipe_free (*out);
      *out = g_strdup (value);
    }
  return TRUE;
}

/* Maps @text to the index of the matching name, or fails naming the choices. */
static gboolean
pick (const char *option, const char *text, const char *const *names, int *out, GError **error)
{
  g_autofree char *choices = NULL;

  if (text == NULL)
    return TRUE;
  for (int i = 0; names[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  choices = g_strjoinv ("|", (char **) names);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("%s must be one of %s, not “%s”."), option, choices, text);
  return FALSE;
}

static const char *const expect_pair_names[] = { "any", "host", "srflx", "prflx", "relay", "direct", NULL };

const char *
floe_expect_pair_name (FloeExpectPair expect)
{
  return expect_pair_names[expect];
}

/* The key-file's settings and the flags they stand for; the command line
 * wins where it said something. */
static const struct
{
  const char *group, *key;
  size_t offset;
} config_keys[] = {
  { "account", "uri", G_STRUCT_OFFSET (Flags, account) },
  { "account", "password-file", G_STRUCT_OFFSET (Flags, password_file) },
  { "account", "password-env", G_STRUCT_OFFSET (Flags, password_env) },
  { "account", "registrar", G_STRUCT_OFFSET (Flags, registrar) },
  { "account", "proxy", G_STRUCT_OFFSET (Flags, proxy) },
  { "account", "transport", G_STRUCT_OFFSET (Flags, transport) },
  { "account", "ca-file", G_STRUCT_OFFSET (Flags, ca_file) },
  { "account", "listen", G_STRUCT_OFFSET (Flags, listen) },
  { "ice", "turn-username", G_STRUCT_OFFSET (Flags, turn_user) },
  { "ice", "turn-password-file", G_STRUCT_OFFSET (Flags, turn_password_file) },
  { "ice", "turn-password-env", G_STRUCT_OFFSET (Flags, turn_password_env) },
  { "ice", "policy", G_STRUCT_OFFSET (Flags, ice_policy) },
  { "ice", "interfaces", G_STRUCT_OFFSET (Flags, interfaces) },
  { "media", "srtp", G_STRUCT_OFFSET (Flags, srtp) },
  { "media", "codecs", G_STRUCT_OFFSET (Flags, codecs) },
  { "media", "opus-complexity", G_STRUCT_OFFSET (Flags, opus_complexity) },
  { "media", "opus-bandwidth", G_STRUCT_OFFSET (Flags, opus_bandwidth) },
  { "media", "opus-mode", G_STRUCT_OFFSET (Flags, opus_mode) },
};

/* A true/false key of the configuration into *out; absent, *out is left
 * alone. */
static gboolean
config_boolean (GKeyFile *kf, const char *group, const char *key, const char *file, gboolean *out,
                GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean value;

  if (!g_key_file_has_key (kf, group, key, NULL))
    return TRUE;
  value = g_key_file_get_boolean (kf, group, key, &local);
  if (local != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s in %s takes true or false."), key, file);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

static gboolean
load_config (Flags *f, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local = NULL;
  gboolean gather_ahead = !f->no_gather_ahead;

  if (!g_key_file_load_from_file (kf, f->config, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not read the configuration %s: %s"),
                   f->config, local->message);
      return FALSE;
    }
  if (g_key_file_has_key (kf, "account", "password", NULL) || g_key_file_has_key (kf, "ice", "turn-password", NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s holds a password in plain text; use password-file or password-env instead."),
                   f->config);
      return FALSE;
    }
  for (size_t i = 0; i < G_N_ELEMENTS (config_keys); i++)
    {
      char **field = G_STRUCT_MEMBER_P (f, config_keys[i].offset);
      if (*field == NULL)
        *field = g_key_file_get_string (kf, config_keys[i].group, config_keys[i].key, NULL);
    }
  if ((!f->dtx && !config_boolean (kf, "media", "dtx", f->config, &f->dtx, error)) ||
      (gather_ahead && !config_boolean (kf, "ice", "gather-ahead", f->config, &gather_ahead, error)))
    return FALSE;
  f->no_gather_ahead = !gather_ahead;
  if (f->stun == NULL)
    f->stun = g_key_file_get_string_list (kf, "ice", "stun", NULL, NULL);
  if (f->turn == NULL)
    f->turn = g_key_file_get_string_list (kf, "ice", "turn", NULL, NULL);
  return TRUE;
}

static gboolean
add_servers (FloeCliOptions *o, char **texts, FloeIceServerKind kind, const Flags *f, GError **error)
{
  for (char **t = texts; t && *t; t++)
    {
      FloeIceServer *server = floe_ice_server_parse (*t, kind, error);
      if (server == NULL)
        return FALSE;
      if (server->kind == FLOE_ICE_SERVER_TURN)
        {
          if (f->turn_user == NULL)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("The TURN server %s needs a user name: give --turn-user."), *t);
              floe_ice_server_free (server);
              return FALSE;
            }
          server->username = g_strdup (f->turn_user);
          if (!read_secret (_("TURN password"), f->turn_password_file, f->turn_password_env,
                            &server->password, error))
            {
              floe_ice_server_free (server);
              return FALSE;
            }
          if (server->password == NULL)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("The TURN server %s needs a password: give --turn-password-file or "
                             "--turn-password-env."),
                           *t);
              floe_ice_server_free (server);
              return FALSE;
            }
        }
      g_ptr_array_add (o->ice_servers, server);
    }
  return TRUE;
}

static gboolean
check_codecs (FloeCliOptions *o, const char *text, GError **error)
{
  static const char *const known[] = { "opus", "pcmu", "pcma", NULL };
  g_auto (GStrv) list = g_strsplit (text ? text : "opus,pcmu,pcma", ",", -1);

  for (char **c = list; *c; c++)
    {
      g_strstrip (*c);
      if (!g_strv_contains (known, *c))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--codecs takes a comma-separated list of opus, pcmu and pcma, not “%s”."), *c);
          return FALSE;
        }
    }
  o->codecs = g_steal_pointer (&list);
  return TRUE;
}

/* The light profile (many calls per core, a continuous stream), changed
 * where the command line or the key-file said so. */
static gboolean
check_opus (FloeCliOptions *o, const Flags *f, GError **error)
{
  /* In media_opus_bandwidth order. */
  static const char *const bandwidths[] = { "narrow", "medium", "wide", "superwide", "full", NULL };
  /* low_delay FALSE, TRUE */
  static const char *const modes[] = { "voice", "low-delay", NULL };
  guint64 complexity;
  int value;

  o->opus = media_opus_profile_settings (MEDIA_OPUS_PROFILE_LIGHT);
  if (f->opus_complexity != NULL)
    {
      if (!g_ascii_string_to_unsigned (f->opus_complexity, 10, 0, 10, &complexity, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--opus-complexity takes a number from 0 (cheapest) to 10 (best), not “%s”."),
                       f->opus_complexity);
          return FALSE;
        }
      o->opus.complexity = (int) complexity;
    }
  value = (int) o->opus.max_bandwidth;
  if (!pick ("--opus-bandwidth", f->opus_bandwidth, bandwidths, &value, error))
    return FALSE;
  o->opus.max_bandwidth = (media_opus_bandwidth) value;
  value = o->opus.low_delay;
  if (!pick ("--opus-mode", f->opus_mode, modes, &value, error))
    return FALSE;
  o->opus.low_delay = value;
  if (f->dtx)
    o->opus.dtx = TRUE;
  return TRUE;
}

static gboolean
check_actions (FloeCliOptions *o, GError **error)
{
  if (o->dtmf != NULL && o->dtmf[strspn (o->dtmf, "0123456789*#ABCDabcd")] != '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--dtmf takes the digits 0-9, *, # and A-D, not “%s”."), o->dtmf);
      return FALSE;
    }
  if (o->play != NULL && g_str_has_prefix (o->play, "tone:") && floe_cli_options_tone_hz (o->play) <= 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--play tone:FREQ takes a frequency in Hz between 20 and 20000, not “%s”."), o->play);
      return FALSE;
    }
  if (o->account != NULL && !g_str_has_prefix (o->account, "sip:") && !g_str_has_prefix (o->account, "sips:"))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("The account “%s” is not a SIP address; write it as sip:user@domain."), o->account);
      return FALSE;
    }
  if (o->account != NULL && o->password == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("The account %s needs a password: give --password-file or --password-env."),
                   o->account);
      return FALSE;
    }
  if (o->register_only && o->account == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("--register-only needs an account (--account or the configuration file)."));
      return FALSE;
    }
  if (o->call != NULL && o->auto_answer_ms >= 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Give either --call or --auto-answer, not both: one agent calls, the other answers."));
      return FALSE;
    }
  if (o->calls > 1 && o->call == NULL && o->auto_answer_ms < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("--calls needs --call to say whom to call, or --auto-answer to take that many calls."));
      return FALSE;
    }
  if (o->ice_policy == FLOE_ICE_POLICY_RELAY_ONLY)
    {
      gboolean have_turn = FALSE;
      for (guint i = 0; i < o->ice_servers->len; i++)
        have_turn |= ((FloeIceServer *) o->ice_servers->pdata[i])->kind == FLOE_ICE_SERVER_TURN;
      if (!have_turn)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                       _("--ice-policy relay-only needs a TURN server (--turn)."));
          return FALSE;
        }
    }
  return TRUE;
}

double
floe_cli_options_tone_hz (const char *play)
{
  char *end = NULL;
  double hz;

  if (play == NULL || !g_str_has_prefix (play, "tone:"))
    return 0;
  hz = g_ascii_strtod (play + 5, &end);
  return (end != play + 5 && *end == '\0' && hz >= 20 && hz <= 20000) ? hz : -1;
}

static gboolean
build (FloeCliOptions *o, Flags *f, GError **error)
{
  static const char *const policies[] = { "all", "no-relay", "relay-only", NULL };
  static const char *const srtp[] = { "off", "optional", "required", NULL };
  static const char *const transports[] = { "udp", "tcp", "tls", NULL };
  int value;

  o->version = f->version;
  if (o->version)
    return TRUE; /* nothing else matters, nor is checked */
  if (f->config != NULL && !load_config (f, error))
    return FALSE;

  o->account = g_steal_pointer (&f->account);
  o->registrar = g_steal_pointer (&f->registrar);
  o->proxy = g_steal_pointer (&f->proxy);
  o->ca_file = g_steal_pointer (&f->ca_file);
  o->listen = g_steal_pointer (&f->listen);
  o->interfaces = g_steal_pointer (&f->interfaces);
  if (!read_secret (_("account password"), f->password_file, f->password_env, &o->password, error))
    return FALSE;

  value = 0; /* udp */
  if (!pick ("--transport", f->transport, transports, &value, error))
    return FALSE;
  o->transport = value;
  value = FLOE_ICE_POLICY_ALL;
  if (!pick ("--ice-policy", f->ice_policy, policies, &value, error))
    return FALSE;
  o->ice_policy = value;
  value = FLOE_SRTP_OPTIONAL;
  if (!pick ("--srtp", f->srtp, srtp, &value, error))
    return FALSE;
  o->srtp = value;
  value = FLOE_EXPECT_PAIR_ANY;
  if (!pick ("--expect-pair", f->expect_pair, expect_pair_names, &value, error))
    return FALSE;
  o->expect_pair = value;

  if (!add_servers (o, f->stun, FLOE_ICE_SERVER_STUN, f, error) ||
      !add_servers (o, f->turn, FLOE_ICE_SERVER_TURN, f, error) || !check_codecs (o, f->codecs, error) ||
      !check_opus (o, f, error))
    return FALSE;

  o->register_only = f->register_only;
  o->gather_ahead = !f->no_gather_ahead;
  o->call = g_steal_pointer (&f->call);
  o->auto_answer_ms = f->auto_answer_ms;
  o->duration_s = f->duration_s;
  o->play = g_steal_pointer (&f->play);
  o->record = g_steal_pointer (&f->record);
  o->dtmf = g_steal_pointer (&f->dtmf);
  o->calls = f->calls;
  o->rate = f->rate;
  o->expect_audio = f->expect_audio;
  o->max_setup_ms = f->max_setup_ms;
  o->json = f->json;
  o->junit = g_steal_pointer (&f->junit);
  o->control = f->control;
  o->control_socket = g_steal_pointer (&f->control_socket);

  if (f->calls < 1 || f->rate <= 0 || f->duration_s < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--calls and --rate must be positive and --duration not negative."));
      return FALSE;
    }
  return check_actions (o, error);
}

FloeCliOptions *
floe_cli_options_parse (int *argc, char ***argv, GError **error)
{
  Flags f = { .auto_answer_ms = -1, .calls = 1, .rate = 1.0, .max_setup_ms = -1 };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GOptionGroup) group = NULL;
  FloeCliOptions *o;
  gboolean parsed;
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &f.headless, N_("Run without a display"), NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &f.version, N_("Show the version and exit"), NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &f.help, N_("Show the options and exit"), NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &f.config, N_("Read settings from a key-file"), N_("FILE") },
    { "account", 'a', 0, G_OPTION_ARG_STRING, &f.account, N_("Register this SIP account"), N_("URI") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &f.password_file, N_("Read the account password from FILE"), N_("FILE") },
    { "password-env", 0, 0, G_OPTION_ARG_STRING, &f.password_env, N_("Read the account password from the environment variable VAR"), N_("VAR") },
    { "registrar", 0, 0, G_OPTION_ARG_STRING, &f.registrar, N_("Register here instead of at the account's domain"), N_("URI") },
    { "proxy", 0, 0, G_OPTION_ARG_STRING, &f.proxy, N_("Send every request through this outbound proxy"), N_("URI") },
    { "transport", 0, 0, G_OPTION_ARG_STRING, &f.transport, N_("SIP transport: udp, tcp or tls"), N_("NAME") },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &f.ca_file, N_("Also trust this CA for TLS"), N_("FILE") },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &f.listen, N_("Local SIP address to listen on"), N_("HOST:PORT") },
    { "stun", 0, 0, G_OPTION_ARG_STRING_ARRAY, &f.stun, N_("A STUN server (repeatable)"), N_("HOST:PORT") },
    { "turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &f.turn, N_("A TURN server (repeatable)"), N_("turn:HOST:PORT?transport=udp|tcp") },
    { "turn-user", 0, 0, G_OPTION_ARG_STRING, &f.turn_user, N_("User name on the TURN servers"), N_("NAME") },
    { "turn-password-file", 0, 0, G_OPTION_ARG_FILENAME, &f.turn_password_file, N_("Read the TURN password from FILE"), N_("FILE") },
    { "turn-password-env", 0, 0, G_OPTION_ARG_STRING, &f.turn_password_env, N_("Read the TURN password from the environment variable VAR"), N_("VAR") },
    { "ice-policy", 0, 0, G_OPTION_ARG_STRING, &f.ice_policy, N_("Candidates to use: all, no-relay or relay-only"), N_("POLICY") },
    { "interfaces", 0, 0, G_OPTION_ARG_STRING, &f.interfaces, N_("Carry media only on these network interfaces"), N_("eth0,wlan0") },
    { "srtp", 0, 0, G_OPTION_ARG_STRING, &f.srtp, N_("SRTP policy: required, optional or off"), N_("POLICY") },
    { "codecs", 0, 0, G_OPTION_ARG_STRING, &f.codecs, N_("Codecs in order of preference"), N_("opus,pcmu,pcma") },
    { "opus-complexity", 0, 0, G_OPTION_ARG_STRING, &f.opus_complexity, N_("Opus encoder complexity, 0 (cheapest) to 10 (best)"), N_("N") },
    { "opus-bandwidth", 0, 0, G_OPTION_ARG_STRING, &f.opus_bandwidth, N_("Widest audio band Opus codes: narrow, medium, wide, superwide or full"), N_("BAND") },
    { "opus-mode", 0, 0, G_OPTION_ARG_STRING, &f.opus_mode, N_("Opus coding: low-delay (CELT alone, least CPU) or voice (SILK, with in-band FEC)"), N_("MODE") },
    { "dtx", 0, 0, G_OPTION_ARG_NONE, &f.dtx, N_("Send no packets in silence (Opus DTX)"), NULL },
    { "no-gather-ahead", 0, 0, G_OPTION_ARG_NONE, &f.no_gather_ahead, N_("Gather each call's ICE candidates when it starts, not ahead"), NULL },
    { "register-only", 0, 0, G_OPTION_ARG_NONE, &f.register_only, N_("Register, report, and stay registered"), NULL },
    { "call", 0, 0, G_OPTION_ARG_STRING, &f.call, N_("Call this SIP address"), N_("URI") },
    { "auto-answer", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, (gpointer) on_auto_answer, N_("Answer incoming calls, after an optional delay"), N_("MS") },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &f.duration_s, N_("Hang up after this many seconds"), N_("S") },
    { "play", 0, 0, G_OPTION_ARG_STRING, &f.play, N_("Send this audio file, or tone:FREQ"), N_("FILE") },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &f.record, N_("Record the received audio to a WAV file"), N_("FILE") },
    { "dtmf", 0, 0, G_OPTION_ARG_STRING, &f.dtmf, N_("Send these DTMF digits once the call is up"), N_("DIGITS") },
    { "calls", 0, 0, G_OPTION_ARG_INT, &f.calls, N_("Place this many calls at once"), N_("N") },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &f.rate, N_("New calls per second"), N_("R") },
    { "expect-pair", 0, 0, G_OPTION_ARG_STRING, &f.expect_pair, N_("Fail unless the selected pair is host, srflx, prflx, relay or direct"), N_("KIND") },
    { "expect-audio", 0, 0, G_OPTION_ARG_NONE, &f.expect_audio, N_("Fail unless the far end's tone is heard"), NULL },
    { "max-setup", 0, 0, G_OPTION_ARG_INT, &f.max_setup_ms, N_("Fail if the call takes longer than MS to set up"), N_("MS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &f.json, N_("Write one JSON object per event on standard output"), NULL },
    { "junit", 0, 0, G_OPTION_ARG_FILENAME, &f.junit, N_("Write a JUnit report to FILE"), N_("FILE") },
    { "control", 0, 0, G_OPTION_ARG_NONE, &f.control, N_("Take commands line by line on standard input"), NULL },
    { "control-socket", 0, 0, G_OPTION_ARG_FILENAME, &f.control_socket, N_("Take commands on this Unix socket"), N_("PATH") },
    { NULL }
  };

  group = g_option_group_new ("floe", _("Floe options"), _("Show Floe's options"), &f, NULL);
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_context_set_main_group (context, g_steal_pointer (&group));
  g_option_context_set_summary (context, _("Floe, a SIP softphone that makes calls work across NATs."));
  g_option_context_set_ignore_unknown_options (context, FALSE);

  o = g_new0 (FloeCliOptions, 1);
  o->ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) floe_ice_server_free);
  /* GOption's own --help calls exit(), which some libraries linked into
   * the desktop build do not survive; print the text and return instead. */
  g_option_context_set_help_enabled (context, FALSE);
  parsed = g_option_context_parse (context, argc, argv, error);
  if (parsed && f.help)
    {
      o->help = g_option_context_get_help (context, TRUE, NULL);
      flags_clear (&f);
      return o;
    }
  if (!parsed || !build (o, &f, error))
    {
      flags_clear (&f);
      floe_cli_options_free (o);
      return NULL;
    }
  flags_clear (&f);
  return o;
}

void
floe_cli_options_free (FloeCliOptions *o)
{
  if (o == NULL)
    return;
  g_free (o->help);
  g_free (o->account);
  wipe_free (o->password);
  g_free (o->registrar);
  g_free (o->proxy);
  g_free (o->ca_file);
  g_free (o->listen);
  g_free (o->interfaces);
  g_ptr_array_unref (o->ice_servers);
  g_strfreev (o->codecs);
  g_free (o->call);
  g_free (o->play);
  g_free (o->record);
  g_free (o->dtmf);
  g_free (o->junit);
  g_free (o->control_socket);
  g_free (o);
}
