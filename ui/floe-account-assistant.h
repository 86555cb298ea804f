/* The account assistant: three short pages (account, server, network) that
 * add a SIP account; shown on the first run and from the menu. */
#pragma once

#include <adwaita.h>

#include "floe-application.h"

G_BEGIN_DECLS

#define FLOE_TYPE_ACCOUNT_ASSISTANT (floe_account_assistant_get_type ())
G_DECLARE_FINAL_TYPE (FloeAccountAssistant, floe_account_assistant, FLOE, ACCOUNT_ASSISTANT, AdwWindow)

FloeAccountAssistant *floe_account_assistant_new (FloeApplication *application);

/* "sip:alice@example.org" from what people type ("alice@example.org",
 * "sip:alice@example.org", "sips:..."); NULL with a sentence when it is not
 * an address. */
char *floe_account_assistant_normalize_address (const char *text, GError **error);

G_END_DECLS
