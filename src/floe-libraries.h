/* Process-wide choices for libraries, made before their first use. */
#pragma once

/* Call first thing in main(); calling it again does nothing.
 * floe_sip_root_get() calls it too, for a main() that did not. */
void floe_libraries_init (void);
