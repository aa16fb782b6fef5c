"""Google Workspace: Gmail history and Calendar sync-token capture through google-api-python-client.

`items` holds the parsed, provider-shaped results; `gmail` and `calendar` parse API resources into
them; `errors` classifies failures; `quota` paces calls per user; `push` reads push notifications;
`client` runs the real SDK off the event loop and walks the APIs page by page.
"""
