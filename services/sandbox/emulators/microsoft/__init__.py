"""A Microsoft 365 emulator: Entra ID token endpoint and Microsoft Graph, over HTTPS with a throwaway CA."""
