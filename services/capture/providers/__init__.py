"""Provider connectors: each turns one provider's wire protocol into neutral changes for the engine."""
