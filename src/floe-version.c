#include "config.h"
#include "floe-version.h"

const char *
floe_user_agent (void)
{
  return PACKAGE_NAME "/" PACKAGE_VERSION;
}
