/* Floe's name and version as shown to people and sent in SIP and STUN. */
#pragma once

/* "Floe/0.1.0": the SIP User-Agent and STUN SOFTWARE value. */
const char *floe_user_agent (void);
