"""System settings and info (the Smart Call Center API's `/api/admin/settings`, `/api/admin/system/info`)."""
