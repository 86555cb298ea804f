/* A telephone keypad: twelve keys that emit ::digit ("0"-"9", "*", "#"). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define FLOE_TYPE_DIAL_PAD (floe_dial_pad_get_type ())
G_DECLARE_FINAL_TYPE (FloeDialPad, floe_dial_pad, FLOE, DIAL_PAD, GtkWidget)

GtkWidget *floe_dial_pad_new (void);

G_END_DECLS
