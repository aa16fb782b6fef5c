"""CRM plugins built on Groundtruth's public surfaces (the plugin client, REST and gRPC) only."""
