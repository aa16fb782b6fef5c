"""Every REST request and response shape, in one place: one module per `routes/` module (activities,
admin, auth, crm, feed, keys, me), the problem document, and the strict field types they share.
Answers that are protobuf messages are documented by models generated from their descriptors
(`http/proto_json.model_for`) rather than written here, so they cannot drift from what is served."""
