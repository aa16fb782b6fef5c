"""The public gRPC edge (`groundtruth.gateway.v1.Groundtruth`).

`auth.AuthInterceptor` authenticates every call, parses its request and maps operation errors to
status codes; `servicer.GroundtruthServicer` maps each method onto an operation and back
(`api_keys.py`: keys and roles as the contract spells them).
"""
