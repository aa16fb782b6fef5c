"""Microsoft 365: MSAL client credentials, Graph mail and calendarView delta, change notifications."""
