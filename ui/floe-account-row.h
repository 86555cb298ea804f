/* A row for one account: its address and its registration state, with the
 * reason when registration fails. */
#pragma once

#include <adwaita.h>

#include "floe-application.h"

G_BEGIN_DECLS

#define FLOE_TYPE_ACCOUNT_ROW (floe_account_row_get_type ())
G_DECLARE_FINAL_TYPE (FloeAccountRow, floe_account_row, FLOE, ACCOUNT_ROW, AdwActionRow)

GtkWidget *floe_account_row_new (FloeApplication *application, const char *account_id);
const char *floe_account_row_get_account_id (FloeAccountRow *self);

G_END_DECLS
