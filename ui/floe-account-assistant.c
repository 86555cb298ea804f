/* The account assistant. Pages: account -> server -> network. "Add" checks
 * every field, writes the account to GSettings and its password (and the
 * TURN password) to the Secret Service, and only then closes. The
 * secrets are stored first: the account starts as soon as it is saved. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "src/floe-ice-server.h"

#include "floe-account-assistant.h"
#include "floe-secret-store.h"

static const char *const pages[] = { "account", "server", "network" };
#define N_PAGES G_N_ELEMENTS (pages)

struct _FloeAccountAssistant {
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  GtkButton *back_button;
  GtkButton *next_button;
  GtkStack *stack;
  GtkLabel *error_label;
  AdwEntryRow *address_row;
  AdwEntryRow *password_row;
  AdwEntryRow *registrar_row;
  AdwEntryRow *proxy_row;
  AdwComboRow *transport_row;
  AdwEntryRow *stun_row;
  AdwEntryRow *turn_row;
  AdwEntryRow *turn_user_row;
  AdwEntryRow *turn_password_row;

  FloeApplication *application;
  guint page;
  gboolean busy;
  char *account_id;         /* while the secrets are being stored */
  gboolean password_stored; /* the account's password is in the keyring */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (FloeAccountAssistant, floe_account_assistant, ADW_TYPE_WINDOW)

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static char *
row_text_stripped (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (row_text (row)));
}

char *
floe_account_assistant_normalize_address (const char *text, GError **error)
{
  g_autofree char *address = g_strstrip (g_strdup (text != NULL ? text : ""));
  const char *rest = address;
  const char *scheme = "sip";
  const char *at;

  if (g_ascii_strncasecmp (rest, "sips:", 5) == 0)
    scheme = "sips", rest += 5;
  else if (g_ascii_strncasecmp (rest, "sip:", 4) == 0)
    rest += 4;

  at = strchr (rest, '@');
  if (*rest == '\0' || at == NULL || at == rest || at[1] == '\0' || strchr (at + 1, '@') != NULL ||
      strpbrk (rest, " \t<>\"") != NULL || !g_utf8_validate (rest, -1, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter your SIP address as name@provider.example, as your provider wrote it."));
      return NULL;
    }
  return g_strdup_printf ("%s:%s", scheme, rest);
}

static void
floe_account_assistant_set_error (FloeAccountAssistant *self, const char *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
floe_account_assistant_show_page (FloeAccountAssistant *self)
{
  /* Translators: "Step 1 of 3". */
  g_autofree char *step = g_strdup_printf (_("Step %u of %u"), self->page + 1, (guint) N_PAGES);
  gboolean last = self->page + 1 == N_PAGES;

  gtk_stack_set_visible_child_name (self->stack, pages[self->page]);
  adw_window_title_set_subtitle (self->window_title, step);
  gtk_button_set_label (self->back_button, self->page == 0 ? _("_Cancel") : _("_Back"));
  gtk_button_set_label (self->next_button, last ? _("_Add") : _("_Next"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->back_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->page == 0 ? _("Cancel") : _("Back"), -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->next_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  last ? _("Add the account") : _("Next"), -1);
  floe_account_assistant_set_error (self, NULL);
}

/* The TURN server and user are the ones already saved: an empty password
 * field then keeps the password already in the keyring. */
static gboolean
floe_account_assistant_turn_unchanged (FloeAccountAssistant *self)
{
  GSettings *settings = floe_application_get_settings (self->application);
  g_autofree char *turn = row_text_stripped (self->turn_row);
  g_autofree char *turn_user = row_text_stripped (self->turn_user_row);
  g_autofree char *saved_turn = g_settings_get_string (settings, "turn-server");
  g_autofree char *saved_user = g_settings_get_string (settings, "turn-username");

  return *saved_turn != '\0' && g_strcmp0 (turn, saved_turn) == 0 && g_strcmp0 (turn_user, saved_user) == 0;
}

/* Checks the fields of one page; NULL when they are fine, else a sentence
 * and the row to focus. */
static char *
floe_account_assistant_check_page (FloeAccountAssistant *self, guint page, GtkWidget **focus)
{
  g_autoptr (GError) error = NULL;

  if (page == 0)
    {
      g_autofree char *address = floe_account_assistant_normalize_address (row_text (self->address_row), &error);

      if (address == NULL)
        {
          *focus = GTK_WIDGET (self->address_row);
          return g_strdup (error->message);
        }
      if (*row_text (self->password_row) == '\0')
        {
          *focus = GTK_WIDGET (self->password_row);
          return g_strdup (_("Enter the password of your SIP account."));
        }
    }
  else if (page == 2)
    {
      g_autofree char *stun = row_text_stripped (self->stun_row);
      g_autofree char *turn = row_text_stripped (self->turn_row);
      g_autofree char *turn_user = row_text_stripped (self->turn_user_row);

      if (*stun != '\0')
        {
          g_autoptr (FloeIceServer) server = floe_ice_server_parse (stun, FLOE_ICE_SERVER_STUN, &error);

          if (server == NULL || server->kind != FLOE_ICE_SERVER_STUN)
            {
              *focus = GTK_WIDGET (self->stun_row);
              return server == NULL ? g_strdup (error->message)
                                    : g_strdup (_("The STUN server must be a stun: address or a host name."));
            }
        }
      if (*turn != '\0')
        {
          g_autoptr (FloeIceServer) server = floe_ice_server_parse (turn, FLOE_ICE_SERVER_TURN, &error);

          if (server == NULL || server->kind != FLOE_ICE_SERVER_TURN)
            {
              *focus = GTK_WIDGET (self->turn_row);
              return server == NULL ? g_strdup (error->message)
                                    : g_strdup (_("The TURN server must be a turn: or turns: address or a host name."));
            }
          if (*turn_user == '\0' ||
              (*row_text (self->turn_password_row) == '\0' && !floe_account_assistant_turn_unchanged (self)))
            {
              *focus = GTK_WIDGET (*turn_user == '\0' ? self->turn_user_row : self->turn_password_row);
              return g_strdup (_("A TURN server needs the user name and password its operator gave you."));
            }
        }
    }
  return NULL;
}

static void
floe_account_assistant_set_busy (FloeAccountAssistant *self, gboolean busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->stack), !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "assistant.next", !busy);
}

static void
on_abandoned_secret_cleared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  floe_secret_clear_finish (result, NULL);
}

/* The account is only added once its secrets are stored; when that fails
 * (or the window closed while the keyring worked), the account password
 * already stored is taken back out. */
static void
floe_account_assistant_abandon (FloeAccountAssistant *self)
{
  if (self->account_id != NULL && self->password_stored)
    floe_secret_clear_async (FLOE_SECRET_SIP_ACCOUNT, self->account_id, NULL, on_abandoned_secret_cleared, NULL);
  self->password_stored = FALSE;
  g_clear_pointer (&self->account_id, g_free);
}

static void
floe_account_assistant_fail (FloeAccountAssistant *self, const char *message)
{
  floe_account_assistant_abandon (self);
  floe_account_assistant_set_busy (self, FALSE);
  floe_account_assistant_set_error (self, message);
}

static void
floe_account_assistant_finish (FloeAccountAssistant *self)
{
  static const char *const transports[] = { "udp", "tcp", "tls" };
  GSettings *settings = floe_application_get_settings (self->application);
  g_autofree char *stun = row_text_stripped (self->stun_row);
  g_autofree char *turn = row_text_stripped (self->turn_row);
  g_autofree char *turn_user = row_text_stripped (self->turn_user_row);
  g_autofree char *address = floe_account_assistant_normalize_address (row_text (self->address_row), NULL);
  g_autofree char *registrar = row_text_stripped (self->registrar_row);
  g_autofree char *proxy = row_text_stripped (self->proxy_row);
  guint transport = adw_combo_row_get_selected (self->transport_row);

  /* ICE servers are shared by every account: only what was typed changes. */
  if (*stun != '\0')
    g_settings_set_string (settings, "stun-server", stun);
  if (*turn != '\0')
    {
      g_settings_set_string (settings, "turn-server", turn);
      g_settings_set_string (settings, "turn-username", turn_user);
    }
  floe_application_add_account (self->application, self->account_id, address, registrar, proxy,
                                transports[MIN (transport, G_N_ELEMENTS (transports) - 1)]);
  g_clear_pointer (&self->account_id, g_free);
  floe_account_assistant_set_busy (self, FALSE);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_turn_secret_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (FloeAccountAssistant) self = user_data;
  g_autoptr (GError) error = NULL;

  /* The window went away while the keyring worked. */
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      floe_account_assistant_abandon (self);
      return;
    }
  if (!floe_secret_store_finish (result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          floe_account_assistant_abandon (self);
          return;
        }
      message = g_strdup_printf (_("The TURN password could not be saved in the keyring: %s"), error->message);
      floe_account_assistant_fail (self, message);
      return;
    }
  floe_account_assistant_finish (self);
}

static void
on_account_secret_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (FloeAccountAssistant) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *turn = NULL;
  g_autofree char *turn_user = NULL;
  g_autofree char *key = NULL;
  g_autofree char *label = NULL;

  /* The window went away while the keyring worked. */
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      floe_account_assistant_abandon (self);
      return;
    }
  if (!floe_secret_store_finish (result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          floe_account_assistant_abandon (self);
          return;
        }
      message = g_strdup_printf (_("The password could not be saved in the keyring: %s"), error->message);
      floe_account_assistant_fail (self, message);
      return;
    }
  self->password_stored = TRUE;

  turn = row_text_stripped (self->turn_row);
  if (*turn == '\0' || *row_text (self->turn_password_row) == '\0')
    {
      floe_account_assistant_finish (self);
      return;
    }
  turn_user = row_text_stripped (self->turn_user_row);
  key = g_strdup_printf ("%s@%s", turn_user, turn);
  /* Translators: the label of the TURN password in the keyring. */
  label = g_strdup_printf (_("Floe TURN password for %s"), key);
  floe_secret_store_async (FLOE_SECRET_TURN, key, label, row_text (self->turn_password_row),
                           self->cancellable, on_turn_secret_stored, g_object_ref (self));
}

static void
floe_account_assistant_add (FloeAccountAssistant *self)
{
  g_autofree char *address = floe_account_assistant_normalize_address (row_text (self->address_row), NULL);
  g_autofree char *label = NULL;

  g_return_if_fail (address != NULL);

  floe_account_assistant_set_busy (self, TRUE);
  self->account_id = floe_application_new_account_id ();
  self->password_stored = FALSE;
  /* Translators: the label of the account password in the keyring. */
  label = g_strdup_printf (_("Floe password for %s"), address);
  floe_secret_store_async (FLOE_SECRET_SIP_ACCOUNT, self->account_id, label, row_text (self->password_row),
                           self->cancellable, on_account_secret_stored, g_object_ref (self));
}

static void
on_next (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  FloeAccountAssistant *self = FLOE_ACCOUNT_ASSISTANT (widget);
  GtkWidget *focus = NULL;
  g_autofree char *problem = NULL;

  if (self->busy)
    return;
  problem = floe_account_assistant_check_page (self, self->page, &focus);
  if (problem != NULL)
    {
      floe_account_assistant_set_error (self, problem);
      if (focus != NULL)
        gtk_widget_grab_focus (focus);
      return;
    }
  if (self->page + 1 < N_PAGES)
    {
      self->page++;
      floe_account_assistant_show_page (self);
      return;
    }
  floe_account_assistant_add (self);
}

static void
on_back (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  FloeAccountAssistant *self = FLOE_ACCOUNT_ASSISTANT (widget);

  if (self->busy)
    return;
  if (self->page == 0)
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  self->page--;
  floe_account_assistant_show_page (self);
}

static void
on_field_changed (FloeAccountAssistant *self)
{
  floe_account_assistant_set_error (self, NULL);
}

static void
floe_account_assistant_dispose (GObject *object)
{
  FloeAccountAssistant *self = FLOE_ACCOUNT_ASSISTANT (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), FLOE_TYPE_ACCOUNT_ASSISTANT);
  G_OBJECT_CLASS (floe_account_assistant_parent_class)->dispose (object);
}

static void
floe_account_assistant_finalize (GObject *object)
{
  FloeAccountAssistant *self = FLOE_ACCOUNT_ASSISTANT (object);

  g_clear_object (&self->cancellable);
  g_free (self->account_id);
  G_OBJECT_CLASS (floe_account_assistant_parent_class)->finalize (object);
}

static void
floe_account_assistant_class_init (FloeAccountAssistantClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = floe_account_assistant_dispose;
  object_class->finalize = floe_account_assistant_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/floe/Floe/floe-account-assistant.ui");
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, window_title);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, back_button);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, next_button);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, stack);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, error_label);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, address_row);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, password_row);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, registrar_row);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, proxy_row);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, transport_row);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, stun_row);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, turn_row);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, turn_user_row);
  gtk_widget_class_bind_template_child (widget_class, FloeAccountAssistant, turn_password_row);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed);

  gtk_widget_class_install_action (widget_class, "assistant.next", NULL, on_next);
  gtk_widget_class_install_action (widget_class, "assistant.back", NULL, on_back);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "assistant.back", NULL);
}

static void
floe_account_assistant_init (FloeAccountAssistant *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  floe_account_assistant_show_page (self);
}

FloeAccountAssistant *
floe_account_assistant_new (FloeApplication *application)
{
  FloeAccountAssistant *self;
  GSettings *settings;
  g_autofree char *stun = NULL;
  g_autofree char *turn = NULL;
  g_autofree char *turn_user = NULL;

  g_return_val_if_fail (FLOE_IS_APPLICATION (application), NULL);

  self = g_object_new (FLOE_TYPE_ACCOUNT_ASSISTANT, "application", application, NULL);
  self->application = application;

  /* Shared ICE servers: show what is already set. */
  settings = floe_application_get_settings (application);
  stun = g_settings_get_string (settings, "stun-server");
  turn = g_settings_get_string (settings, "turn-server");
  turn_user = g_settings_get_string (settings, "turn-username");
  gtk_editable_set_text (GTK_EDITABLE (self->stun_row), stun);
  gtk_editable_set_text (GTK_EDITABLE (self->turn_row), turn);
  gtk_editable_set_text (GTK_EDITABLE (self->turn_user_row), turn_user);
  return self;
}
